using EfficientNet.Batch.Models;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>
/// torchvision's ToTensor + Normalize on the center crop: (v / scale - mean) / std in float32, one operation at a time
/// as torch does it, so the floats are the same bits; zero padding where the crop extends past the resized image.
/// </summary>
public sealed class NormalizedTensorWriter
{
    private readonly float[] _table;
    private readonly TensorLayout _layout;
    private readonly int _width;
    private readonly int _height;

    public NormalizedTensorWriter(PreprocessSpec spec, TensorLayout layout)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _layout = layout;
        _width = spec.CropWidth;
        _height = spec.CropHeight;

        // 256 values per channel: a lookup is exact and cheaper than the two float operations per pixel.
        _table = new float[3 * 256];
        for (var c = 0; c < 3; c++)
        {
            for (var v = 0; v < 256; v++)
            {
                var scaled = v / spec.Scale;
                var centred = scaled - spec.Mean[c];
                _table[(c * 256) + v] = centred / spec.Std[c];
            }
        }
    }

    public int TensorLength => 3 * _width * _height;

    /// <summary>The normalised value of byte <paramref name="value"/> in <paramref name="channel"/> (0 = R).</summary>
    public float Normalize(int channel, byte value) => _table[(channel * 256) + value];

    /// <summary>
    /// Writes the crop of <paramref name="geometry"/> to <paramref name="destination"/>; <paramref name="visiblePixels"/>
    /// holds the packed RGB pixels of <see cref="TorchvisionGeometry.Visible"/>, the rest of the crop is padding.
    /// </summary>
    public void Write(ReadOnlySpan<byte> visiblePixels, TorchvisionGeometry geometry, Span<float> destination)
    {
        var crop = geometry.Crop;
        var visible = geometry.Visible;
        if (crop.Width != _width || crop.Height != _height)
        {
            throw new ArgumentException($"crop {crop.Width}x{crop.Height} does not match the tensor's {_width}x{_height}", nameof(geometry));
        }

        if (destination.Length != TensorLength)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, expected {TensorLength}", nameof(destination));
        }

        var plane = _width * _height;
        if (visible.Width != _width || visible.Height != _height)
        {
            Pad(destination, plane);
        }

        var left = visible.Left - crop.Left;
        var top = visible.Top - crop.Top;
        var red = _table.AsSpan(0, 256);
        var green = _table.AsSpan(256, 256);
        var blue = _table.AsSpan(512, 256);
        for (var y = 0; y < visible.Height; y++)
        {
            var row = visiblePixels.Slice(y * visible.Width * 3, visible.Width * 3);
            var offset = ((top + y) * _width) + left;
            if (_layout == TensorLayout.Nchw)
            {
                var r = destination.Slice(offset, visible.Width);
                var g = destination.Slice(plane + offset, visible.Width);
                var b = destination.Slice((2 * plane) + offset, visible.Width);
                for (var x = 0; x < visible.Width; x++)
                {
                    r[x] = red[row[x * 3]];
                    g[x] = green[row[(x * 3) + 1]];
                    b[x] = blue[row[(x * 3) + 2]];
                }
            }
            else
            {
                var output = destination.Slice(offset * 3, visible.Width * 3);
                for (var x = 0; x < visible.Width; x++)
                {
                    output[x * 3] = red[row[x * 3]];
                    output[(x * 3) + 1] = green[row[(x * 3) + 1]];
                    output[(x * 3) + 2] = blue[row[(x * 3) + 2]];
                }
            }
        }
    }

    // torchvision pads with fill=0 before cropping: black, which normalises to -mean/std per channel.
    private void Pad(Span<float> destination, int plane)
    {
        if (_layout == TensorLayout.Nchw)
        {
            for (var c = 0; c < 3; c++)
            {
                destination.Slice(c * plane, plane).Fill(_table[c * 256]);
            }
        }
        else
        {
            for (var i = 0; i < plane; i++)
            {
                destination[i * 3] = _table[0];
                destination[(i * 3) + 1] = _table[256];
                destination[(i * 3) + 2] = _table[512];
            }
        }
    }
}
