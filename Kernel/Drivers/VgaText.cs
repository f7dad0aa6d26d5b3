using Kernel.Arch;

namespace Kernel.Drivers
{
    /// <summary>
    /// The VGA text console: 80x25 cells at physical 0xB8000, each a character and an attribute byte
    /// (background in the high nibble, foreground in the low). Scrolls by moving rows up; the hardware
    /// cursor follows the write position through the CRT controller (ports 0x3D4/0x3D5).
    /// </summary>
    internal static unsafe class VgaText
    {
        public const int Columns = 80;
        public const int Rows = 25;
        private const ulong Buffer = 0xB8000;
        private const ushort CrtcIndex = 0x3D4;
        private const ushort CrtcData = 0x3D5;
        private const byte CursorLocationHigh = 0x0E;
        private const byte CursorLocationLow = 0x0F;

        private static int s_column;
        private static int s_row;

        // Set after a character lands in the last column: the line break happens only when the next
        // printable character arrives, so an exactly 80-column line followed by '\n' is one line, as on
        // a VT100-style terminal.
        private static bool s_wrapPending;
        private static byte s_attribute = (byte)ConsoleColor.LightGray;

        // Reached through the memory manager's view of physical memory (identity map, then the direct map).
        private static ushort* Cells => (ushort*)Boot.PhysicalMemory.ToVirtual(Buffer);

        public static void SetColor(ConsoleColor foreground, ConsoleColor background = ConsoleColor.Black)
        {
            s_attribute = (byte)(((int)background << 4) | (int)foreground);
        }

        public static void Clear()
        {
            for (int i = 0; i < Columns * Rows; i++)
            {
                Cells[i] = (ushort)(' ' | (s_attribute << 8));
            }
            s_column = 0;
            s_row = 0;
            UpdateCursor();
        }

        public static void Write(char c)
        {
            bool wrapPending = s_wrapPending;
            s_wrapPending = false;
            switch (c)
            {
                case '\n':
                    NewLine();
                    break;
                case '\r':
                    s_column = 0;
                    break;
                case '\b':
                    if (s_column > 0)
                    {
                        s_column--;
                        Cells[s_row * Columns + s_column] = (ushort)(' ' | (s_attribute << 8));
                    }
                    break;
                case '\t':
                    do
                    {
                        Write(' ');
                    }
                    while ((s_column & 7) != 0);
                    return;
                default:
                    if (wrapPending)
                    {
                        NewLine();
                    }
                    Cells[s_row * Columns + s_column] = (ushort)((c < 0x7F ? c : '?') | (s_attribute << 8));
                    if (s_column == Columns - 1)
                    {
                        s_wrapPending = true;
                    }
                    else
                    {
                        s_column++;
                    }
                    break;
            }
        }

        private static void NewLine()
        {
            s_column = 0;
            if (++s_row < Rows)
            {
                return;
            }
            ushort* cells = Cells;
            System.Runtime.RuntimeExports.memmove((byte*)cells, (byte*)(cells + Columns), (nuint)((Rows - 1) * Columns * sizeof(ushort)));
            for (int i = (Rows - 1) * Columns; i < Rows * Columns; i++)
            {
                cells[i] = (ushort)(' ' | (s_attribute << 8));
            }
            s_row = Rows - 1;
        }

        /// <summary>
        /// Moves the hardware cursor to the write position: four port writes, so the console calls it once
        /// per string or number rather than per character.
        /// </summary>
        public static void UpdateCursor()
        {
            int position = s_row * Columns + s_column;
            Cpu.OutByte(CrtcIndex, CursorLocationHigh);
            Cpu.OutByte(CrtcData, (byte)(position >> 8));
            Cpu.OutByte(CrtcIndex, CursorLocationLow);
            Cpu.OutByte(CrtcData, (byte)position);
        }
    }
}
