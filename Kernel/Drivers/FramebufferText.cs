using Kernel.Boot;

namespace Kernel.Drivers;

/// <summary>
/// Draws <see cref="TextScreen"/>'s cells on a 32-bit linear framebuffer: each cell is a glyph of
/// <see cref="ConsoleFont"/> (8x16) in its attribute's foreground on its background, with the 16 colours of the
/// VGA palette packed as the framebuffer's colour fields say; the cursor is an underline on scan lines 13
/// and 14, as VGA's. It keeps what each cell shows so a scroll redraws only the cells whose text changed,
/// and only writes the framebuffer, never reads it (reads of device memory are slow on real hardware).
/// </summary>
/// <remarks>
/// Until the memory manager maps the framebuffer in its own region (<see cref="UseMapping"/>, uncached,
/// no-execute, kernel-only), it is reached through the boot identity map and then the direct map, both of
/// which cover the first 4 GiB; a framebuffer above that is not drawn on until it is mapped, but its cells
/// are kept and drawn then.
/// </remarks>
internal static unsafe class FramebufferText
{
    public const int MaxColumns = 240;
    public const int MaxRows = 100;
    private const ushort NotDrawn = 0xFFFF;
    private const int CursorFirstLine = 13;
    private const int CursorLastLine = 14;
    private const int BytesPerPixel = 4;

    // The VGA palette's 16 colours as 0xRRGGBB, in ConsoleColor order.
    private static readonly uint[] s_vgaPalette =
    {
        0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
        0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
    };

    private static BootInformationFramebuffer s_framebuffer;
    private static uint* s_palette;
    private static ushort* s_drawn;
    private static byte* s_mapped;
    private static int s_columns;
    private static int s_rows;
    private static int s_cursor = -1;
    private static bool s_cleared;

    public static int Columns => s_columns;

    public static int Rows => s_rows;

    public static ulong PhysicalAddress => s_framebuffer.Address;

    public static ulong Size => s_framebuffer.Size;

    public static uint Width => s_framebuffer.Width;

    public static uint Height => s_framebuffer.Height;

    public static uint Pitch => s_framebuffer.Pitch;

    /// <summary>The framebuffer's pixels as the kernel reaches them now, null while it cannot.</summary>
    private static byte* Pixels
    {
        get
        {
            if (s_mapped != null)
            {
                return s_mapped;
            }
            ulong end = s_framebuffer.Address + s_framebuffer.Size;
            return end <= Boot.PhysicalMemory.BootIdentityMapEnd ? (byte*)Boot.PhysicalMemory.ToVirtual(s_framebuffer.Address) : null;
        }
    }

    /// <summary>One boot line: the mode GRUB set and the grid drawn on it.</summary>
    public static void Describe()
    {
        Console.Write("console: framebuffer ");
        Console.WriteDecimal(s_framebuffer.Width);
        Console.Write("x");
        Console.WriteDecimal(s_framebuffer.Height);
        Console.Write(" at ");
        Console.WriteHex(s_framebuffer.Address);
        Console.Write(", ");
        Console.WriteDecimal((ulong)s_columns);
        Console.Write("x");
        Console.WriteDecimal((ulong)s_rows);
        Console.WriteLine(" cells");
    }

    public static void Initialize(BootInformationFramebuffer framebuffer)
    {
        s_framebuffer = framebuffer;
        s_columns = (int)(framebuffer.Width / ConsoleFont.Width);
        s_rows = (int)(framebuffer.Height / ConsoleFont.Height);
        s_columns = s_columns > MaxColumns ? MaxColumns : s_columns;
        s_rows = s_rows > MaxRows ? MaxRows : s_rows;
        s_palette = (uint*)Memory.ObjectAllocator.AllocateZeroed((nuint)(s_vgaPalette.Length * sizeof(uint)));
        for (int i = 0; i < s_vgaPalette.Length; i++)
        {
            s_palette[i] = Pack(s_vgaPalette[i]);
        }
        s_drawn = (ushort*)Memory.ObjectAllocator.AllocateZeroed((nuint)(s_columns * s_rows * sizeof(ushort)));
        ForgetDrawn();
        ClearWhole();
    }

    /// <summary>The colour 0xRRGGBB as a pixel: each component cut to its field's size and shifted to its position.</summary>
    private static uint Pack(uint rgb)
    {
        return Field(rgb >> 16, s_framebuffer.RedPosition, s_framebuffer.RedSize)
            | Field(rgb >> 8, s_framebuffer.GreenPosition, s_framebuffer.GreenSize)
            | Field(rgb, s_framebuffer.BluePosition, s_framebuffer.BlueSize);
    }

    private static uint Field(uint component, byte position, byte size) => ((component & 0xFF) >> (8 - size)) << position;

    private static void ForgetDrawn()
    {
        for (int i = 0; i < s_columns * s_rows; i++)
        {
            s_drawn[i] = NotDrawn;
        }
    }

    /// <summary>Fills the whole framebuffer with black once it can be reached (GRUB's menu may still be on it).</summary>
    private static void ClearWhole()
    {
        byte* pixels = Pixels;
        if (pixels == null || s_cleared)
        {
            return;
        }
        uint black = s_palette[(int)ConsoleColor.Black];
        for (uint y = 0; y < s_framebuffer.Height; y++)
        {
            uint* line = (uint*)(pixels + (ulong)y * s_framebuffer.Pitch);
            for (uint x = 0; x < s_framebuffer.Width; x++)
            {
                line[x] = black;
            }
        }
        s_cleared = true;
    }

    /// <summary>
    /// From now on the framebuffer is reached at <paramref name="pixels"/>, the memory manager's own mapping of
    /// it. A framebuffer that could not be reached before is cleared and every cell drawn.
    /// </summary>
    public static void UseMapping(byte* pixels, ushort* grid)
    {
        s_mapped = pixels;
        if (!s_cleared)
        {
            ClearWhole();
            ForgetDrawn();
            Redraw(grid);
            MoveCursor(s_cursor, grid);
        }
    }

    public static void DrawCell(int index, ushort cell)
    {
        byte* pixels = Pixels;
        s_drawn[index] = pixels != null ? cell : NotDrawn;
        if (pixels == null)
        {
            return;
        }
        int character = cell & 0xFF;
        if (character < ConsoleFont.FirstCharacter || character > ConsoleFont.LastCharacter)
        {
            character = '?';
        }
        uint foreground = s_palette[(cell >> 8) & 0xF];
        uint background = s_palette[(cell >> 12) & 0xF];
        int glyph = (character - ConsoleFont.FirstCharacter) * ConsoleFont.Height;
        byte[] glyphs = ConsoleFont.Glyphs;
        byte* origin = CellOrigin(pixels, index);
        for (int y = 0; y < ConsoleFont.Height; y++)
        {
            uint* line = (uint*)(origin + (ulong)y * s_framebuffer.Pitch);
            int bits = glyphs[glyph + y];
            for (int x = 0; x < ConsoleFont.Width; x++)
            {
                line[x] = (bits & (0x80 >> x)) != 0 ? foreground : background;
            }
        }
    }

    private static byte* CellOrigin(byte* pixels, int index)
    {
        int row = index / s_columns;
        int column = index % s_columns;
        return pixels + (ulong)(row * ConsoleFont.Height) * s_framebuffer.Pitch + (ulong)(column * ConsoleFont.Width * BytesPerPixel);
    }

    /// <summary>Draws every cell of <paramref name="grid"/> that differs from what the framebuffer shows.</summary>
    public static void Redraw(ushort* grid)
    {
        for (int i = 0; i < s_columns * s_rows; i++)
        {
            if (grid[i] != s_drawn[i])
            {
                DrawCell(i, grid[i]);
            }
        }
    }

    /// <summary>Erases the cursor where it was (the cell is drawn again) and underlines cell <paramref name="index"/>.</summary>
    public static void MoveCursor(int index, ushort* grid)
    {
        if (s_cursor >= 0 && s_cursor < s_columns * s_rows)
        {
            DrawCell(s_cursor, grid[s_cursor]);
        }
        s_cursor = index;
        byte* pixels = Pixels;
        if (pixels == null || index < 0 || index >= s_columns * s_rows)
        {
            return;
        }
        uint color = s_palette[(grid[index] >> 8) & 0xF];
        byte* origin = CellOrigin(pixels, index);
        for (int y = CursorFirstLine; y <= CursorLastLine; y++)
        {
            uint* line = (uint*)(origin + (ulong)y * s_framebuffer.Pitch);
            for (int x = 0; x < ConsoleFont.Width; x++)
            {
                line[x] = color;
            }
        }
    }
}
