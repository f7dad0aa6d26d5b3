using Kernel.Arch;
using Kernel.Boot;

namespace Kernel.Drivers;

/// <summary>
/// The console's screen: a grid of cells in VGA's format (character in the low byte, attribute in the high:
/// background in the high nibble, foreground in the low), the write position and its wrap and scroll rules.
/// It is shown either by VGA text mode, where the grid is the hardware's own 80x25 cells at physical 0xB8000
/// and the cursor is the CRT controller's (ports 0x3D4/0x3D5), or by a linear framebuffer, where the grid is
/// kept in memory and <see cref="FramebufferText"/> draws each changed cell with the console font and an
/// underline cursor. Both behave the same: same colours, same wrapping, same scrolling.
/// </summary>
internal static unsafe class TextScreen
{
    public const int VgaColumns = 80;
    public const int VgaRows = 25;
    private const ulong VgaBuffer = 0xB8000;
    private const ushort CrtcIndex = 0x3D4;
    private const ushort CrtcData = 0x3D5;
    private const byte CursorLocationHigh = 0x0E;
    private const byte CursorLocationLow = 0x0F;

    private static int s_columns = VgaColumns;
    private static int s_rows = VgaRows;
    private static int s_column;
    private static int s_row;

    // Set after a character lands in the last column: the line break happens only when the next
    // printable character arrives, so an exactly full line followed by '\n' is one line, as on a
    // VT100-style terminal.
    private static bool s_wrapPending;
    private static byte s_attribute = (byte)ConsoleColor.LightGray;

    // The framebuffer's grid, null in VGA text mode.
    private static ushort* s_grid;

    public static int Columns => s_columns;

    public static int Rows => s_rows;

    public static bool IsFramebuffer => s_grid != null;

    // VGA text mode: reached through the memory manager's view of physical memory (identity map, then the direct map).
    private static ushort* Cells => s_grid != null ? s_grid : (ushort*)Boot.PhysicalMemory.ToVirtual(VgaBuffer);

    /// <summary>
    /// Shows the console on <paramref name="framebuffer"/> from now on, with as many cells as fit (at most
    /// <see cref="FramebufferText.MaxColumns"/> by <see cref="FramebufferText.MaxRows"/>), and clears it.
    /// </summary>
    public static void UseFramebuffer(BootInformationFramebuffer framebuffer)
    {
        FramebufferText.Initialize(framebuffer);
        s_columns = FramebufferText.Columns;
        s_rows = FramebufferText.Rows;
        s_grid = (ushort*)Memory.ObjectAllocator.AllocateZeroed((nuint)(s_columns * s_rows * sizeof(ushort)));
        s_column = 0;
        s_row = 0;
        s_wrapPending = false;
    }

    /// <summary>
    /// The memory manager mapped the framebuffer at <paramref name="pixels"/>: draw through that from now on
    /// (null: it could not, and the console goes on as before).
    /// </summary>
    public static void UseFramebufferMapping(byte* pixels)
    {
        if (pixels != null)
        {
            FramebufferText.UseMapping(pixels, s_grid);
        }
    }

    public static void SetColor(ConsoleColor foreground, ConsoleColor background = ConsoleColor.Black)
    {
        s_attribute = (byte)(((int)background << 4) | (int)foreground);
    }

    public static void Clear()
    {
        ushort blank = Blank;
        for (int i = 0; i < s_columns * s_rows; i++)
        {
            Cells[i] = blank;
        }
        if (s_grid != null)
        {
            FramebufferText.Redraw(s_grid);
        }
        s_column = 0;
        s_row = 0;
        UpdateCursor();
    }

    private static ushort Blank => (ushort)(' ' | (s_attribute << 8));

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
                    Store(s_row * s_columns + s_column, Blank);
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
                Store(s_row * s_columns + s_column, (ushort)((c < 0x7F ? c : '?') | (s_attribute << 8)));
                if (s_column == s_columns - 1)
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

    private static void Store(int index, ushort cell)
    {
        Cells[index] = cell;
        if (s_grid != null)
        {
            FramebufferText.DrawCell(index, cell);
        }
    }

    private static void NewLine()
    {
        s_column = 0;
        if (++s_row < s_rows)
        {
            return;
        }
        ushort* cells = Cells;
        System.Runtime.RuntimeExports.memmove((byte*)cells, (byte*)(cells + s_columns), (nuint)((s_rows - 1) * s_columns * sizeof(ushort)));
        ushort blank = Blank;
        for (int i = (s_rows - 1) * s_columns; i < s_rows * s_columns; i++)
        {
            cells[i] = blank;
        }
        if (s_grid != null)
        {
            FramebufferText.Redraw(s_grid);
        }
        s_row = s_rows - 1;
    }

    /// <summary>
    /// Moves the cursor to the write position: four port writes in VGA text mode, two cells redrawn on a
    /// framebuffer, so the console calls it once per string or number rather than per character.
    /// </summary>
    public static void UpdateCursor()
    {
        int position = s_row * s_columns + s_column;
        if (s_grid != null)
        {
            FramebufferText.MoveCursor(position, s_grid);
            return;
        }
        Cpu.OutByte(CrtcIndex, CursorLocationHigh);
        Cpu.OutByte(CrtcData, (byte)(position >> 8));
        Cpu.OutByte(CrtcIndex, CursorLocationLow);
        Cpu.OutByte(CrtcData, (byte)position);
    }
}
