using System;
using System.Collections.Generic;
using System.Text;
using FontGen;

namespace Kernel.Tests.Boot;

/// <summary>
/// Reads the kernel's framebuffer console back from a screendump: the screen is a grid of 8x16 cells from the
/// top left (as many as fit, at most 240 x 100, as Kernel/Drivers/FramebufferText.cs lays them out), each a
/// glyph of the console font in some colour on black. A cell is read as the printable ASCII character whose
/// glyph has exactly its lit pixels, whatever their colour, so the text on the screen can be compared with the
/// text on COM1.
/// </summary>
public sealed class ScreenText
{
    /// <summary>The font tools/build.sh generates the kernel's glyph table from.</summary>
    public const string FontPath = "/usr/share/consolefonts/Lat15-VGA16.psf.gz";

    public const char Unreadable = '\u2592';

    private const int MaxColumns = 240;
    private const int MaxRows = 100;
    private const int Background = 0x000000;

    private static readonly Lazy<PsfFont> s_font = new(() => PsfFont.Load(FontPath));

    private readonly PpmImage _image;
    private readonly Dictionary<string, char> _characterOf = new();

    public ScreenText(PpmImage image)
    {
        _image = image;
        PsfFont font = s_font.Value;
        CellWidth = font.Width;
        CellHeight = font.Height;
        Columns = Math.Min(image.Width / CellWidth, MaxColumns);
        Rows = Math.Min(image.Height / CellHeight, MaxRows);
        for (char c = '~'; c >= ' '; c--)
        {
            var mask = new StringBuilder();
            for (int y = 0; y < CellHeight; y++)
            {
                for (int x = 0; x < CellWidth; x++)
                {
                    mask.Append(font.IsSet(font.GlyphOf(c), x, y) ? '#' : '.');
                }
            }
            _characterOf[mask.ToString()] = c;
        }
    }

    public int Columns { get; }

    public int Rows { get; }

    public int CellWidth { get; }

    public int CellHeight { get; }

    /// <summary>Whether any pixel of text row <paramref name="row"/> is not the black background.</summary>
    public bool RowHasInk(int row)
    {
        for (int y = row * CellHeight; y < (row + 1) * CellHeight; y++)
        {
            for (int x = 0; x < Columns * CellWidth; x++)
            {
                if (_image[x, y] != Background)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>The characters of row <paramref name="row"/>, trailing blanks removed; <see cref="Unreadable"/> for a cell no glyph matches.</summary>
    public string Row(int row)
    {
        var text = new StringBuilder(Columns);
        for (int column = 0; column < Columns; column++)
        {
            text.Append(Cell(column, row));
        }
        return text.ToString().TrimEnd(' ');
    }

    public char Cell(int column, int row)
    {
        var mask = new StringBuilder(CellWidth * CellHeight);
        for (int y = 0; y < CellHeight; y++)
        {
            for (int x = 0; x < CellWidth; x++)
            {
                mask.Append(_image[column * CellWidth + x, row * CellHeight + y] != Background ? '#' : '.');
            }
        }
        return _characterOf.TryGetValue(mask.ToString(), out char c) ? c : Unreadable;
    }

    /// <summary>The screen rows COM1 text makes: one per line, a line longer than the screen wrapping onto the next rows.</summary>
    public IReadOnlyList<string> Wrap(string serial)
    {
        var rows = new List<string>();
        foreach (string line in serial.Split('\n'))
        {
            string rest = line;
            do
            {
                int take = Math.Min(rest.Length, Columns);
                rows.Add(rest.Substring(0, take).TrimEnd(' '));
                rest = rest.Substring(take);
            }
            while (rest.Length > 0);
        }
        return rows;
    }
}
