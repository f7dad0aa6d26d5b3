using Kernel.Drivers;

namespace Kernel.Shell;

/// <summary>
/// Bytes as the classic dump: an offset, sixteen bytes in hex, then the same bytes as ASCII
/// ('.' for anything unprintable).
/// </summary>
internal static unsafe class HexDump
{
    private const int BytesPerLine = 16;

    public static void Write(byte* data, int length)
    {
        for (int line = 0; line < length; line += BytesPerLine)
        {
            int count = length - line < BytesPerLine ? length - line : BytesPerLine;
            Console.Write("  ");
            Console.WriteHexDigits((ulong)line, 4);
            Console.Write(" ");
            for (int i = 0; i < BytesPerLine; i++)
            {
                Console.Write(' ');
                if (i < count)
                {
                    Console.WriteHexDigits(data[line + i], 2);
                }
                else
                {
                    Console.Write("  ");
                }
            }
            Console.Write("  |");
            for (int i = 0; i < count; i++)
            {
                byte b = data[line + i];
                Console.Write(b >= 0x20 && b < 0x7F ? (char)b : '.');
            }
            Console.WriteLine("|");
        }
    }
}
