namespace Kernel.Tasks
{
    /// <summary>
    /// Composes a process's kill reason from text and numbers without allocating (it may be out of memory).
    /// The default value writes nothing: that is what a second kill request gets, since the first reason stays.
    /// </summary>
    internal readonly struct ReasonBuilder
    {
        private readonly Process _process;

        public ReasonBuilder(Process process) => _process = process;

        public ReasonBuilder Text(string text)
        {
            for (int i = 0; _process != null && text != null && i < text.Length; i++)
            {
                _process.AppendReason(text[i]);
            }
            return this;
        }

        /// <summary>0x and 16 hexadecimal digits, as every address is printed.</summary>
        public ReasonBuilder Hex(ulong value)
        {
            if (_process == null)
            {
                return this;
            }
            _process.AppendReason('0');
            _process.AppendReason('x');
            for (int shift = 60; shift >= 0; shift -= 4)
            {
                int nibble = (int)((value >> shift) & 0xF);
                _process.AppendReason((char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10));
            }
            return this;
        }

        public ReasonBuilder Decimal(ulong value)
        {
            if (_process == null)
            {
                return this;
            }
            ulong divisor = 1;
            while (value / divisor >= 10)
            {
                divisor *= 10;
            }
            for (; divisor > 0; divisor /= 10)
            {
                _process.AppendReason((char)('0' + (int)(value / divisor % 10)));
            }
            return this;
        }

        public unsafe ReasonBuilder Bytes(byte* text, int length)
        {
            for (int i = 0; _process != null && i < length; i++)
            {
                _process.AppendReason((char)text[i]);
            }
            return this;
        }
    }
}
