using System.Runtime.InteropServices;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>Upright, interleaved 8-bit RGB pixels in native memory (never on the managed heap: photos are tens of MB).</summary>
public sealed unsafe class DecodedImage : IDisposable
{
    private byte* _pixels;
    private readonly bool _ownedByLibvips;

    internal DecodedImage(byte* pixels, int width, int height, bool ownedByLibvips)
    {
        _pixels = pixels;
        _ownedByLibvips = ownedByLibvips;
        Width = width;
        Height = height;
    }

    ~DecodedImage() => Free();

    public int Width { get; }

    public int Height { get; }

    public ReadOnlySpan<byte> Pixels
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pixels is null, this);
            return new ReadOnlySpan<byte>(_pixels, checked(Width * Height * 3));
        }
    }

    internal byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pixels is null, this);
            return _pixels;
        }
    }

    internal static DecodedImage Allocate(int width, int height) =>
        new((byte*)NativeMemory.Alloc((nuint)((long)width * height * 3)), width, height, ownedByLibvips: false);

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        var pixels = _pixels;
        _pixels = null;
        if (pixels is null)
        {
            return;
        }

        if (_ownedByLibvips)
        {
            global::NetVips.NetVips.Free((nint)pixels);
        }
        else
        {
            NativeMemory.Free(pixels);
        }
    }
}
