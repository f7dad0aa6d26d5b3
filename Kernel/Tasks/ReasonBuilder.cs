namespace Kernel.Tasks;

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

    /// <summary>Hexadecimal digits without leading zeros or prefix (an offset).</summary>
    public ReasonBuilder ShortHex(ulong value)
    {
        int shift = 60;
        while (shift > 0 && (value >> shift) == 0)
        {
            shift -= 4;
        }
        for (; _process != null && shift >= 0; shift -= 4)
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

    /// <summary>
    /// Appends a symbol of the program as C# names it: ilc names a method MODULE_Namespace_Type__Method and a
    /// MethodTable _ZTV&lt;length&gt;MODULE_Namespace_Type, where MODULE is the program's name
    /// (<paramref name="module"/>): "Namespace.Type.Method", "Namespace.Type". Other symbols (assembly
    /// labels) are written as they are.
    /// </summary>
    public unsafe ReasonBuilder Symbol(byte* name, int length, string module)
    {
        int start = 0;
        if (length > 4 && name[0] == '_' && name[1] == 'Z' && name[2] == 'T' && name[3] == 'V')
        {
            start = 4;
            while (start < length && name[start] >= '0' && name[start] <= '9')
            {
                start++;
            }
        }
        if (HasPrefix(name + start, length - start, module))
        {
            start += module.Length + 1;
        }
        for (int i = start; _process != null && i < length; i++)
        {
            if (name[i] == '_')
            {
                _process.AppendReason('.');
                if (i + 1 < length && name[i + 1] == '_')
                {
                    i++;
                }
            }
            else
            {
                _process.AppendReason((char)name[i]);
            }
        }
        return this;
    }

    private static unsafe bool HasPrefix(byte* name, int length, string module)
    {
        if (module == null || length <= module.Length || name[module.Length] != '_')
        {
            return false;
        }
        for (int i = 0; i < module.Length; i++)
        {
            if (name[i] != module[i])
            {
                return false;
            }
        }
        return true;
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
