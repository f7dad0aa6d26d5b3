using System;
using System.IO;
using System.Text;

namespace Kernel.Tests.Boot;

/// <summary>A binary PPM (P6, 8 bits per channel) as QEMU's screendump writes it.</summary>
public sealed class PpmImage
{
    private readonly byte[] _pixels;

    private PpmImage(int width, int height, byte[] pixels)
    {
        Width = width;
        Height = height;
        _pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The pixel at (<paramref name="x"/>, <paramref name="y"/>) as 0xRRGGBB.</summary>
    public int this[int x, int y]
    {
        get
        {
            int offset = (y * Width + x) * 3;
            return (_pixels[offset] << 16) | (_pixels[offset + 1] << 8) | _pixels[offset + 2];
        }
    }

    public static PpmImage Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int position = 0;
        string magic = Token(bytes, ref position);
        int width = int.Parse(Token(bytes, ref position));
        int height = int.Parse(Token(bytes, ref position));
        int maximum = int.Parse(Token(bytes, ref position));
        if (magic != "P6" || maximum != 255)
        {
            throw new InvalidDataException($"not an 8-bit P6 image: {magic}, maximum {maximum}");
        }
        position++;
        if (bytes.Length - position < width * height * 3)
        {
            throw new InvalidDataException("PPM shorter than its pixels");
        }
        return new PpmImage(width, height, bytes.AsSpan(position, width * height * 3).ToArray());
    }

    private static string Token(byte[] bytes, ref int position)
    {
        while (char.IsWhiteSpace((char)bytes[position]))
        {
            position++;
        }
        var token = new StringBuilder();
        while (!char.IsWhiteSpace((char)bytes[position]))
        {
            token.Append((char)bytes[position++]);
        }
        return token.ToString();
    }
}
