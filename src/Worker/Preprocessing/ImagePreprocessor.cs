using System.Buffers;
using EfficientNet.Batch.Models;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>
/// Encoded image bytes → the model's input tensor, as torchvision's
/// <c>Compose([Resize(short_side, interpolation), CenterCrop(crop), ToTensor(), Normalize(mean, std)])</c> computes it
/// from <c>Image.open(p).convert('RGB')</c>; safe for untrusted bytes. Thread-safe. See docs/preprocessing.md.
/// </summary>
public sealed class ImagePreprocessor
{
    private readonly PreprocessSpec _spec;
    private readonly PreprocessingMode _mode;
    private readonly ImageDecoder _decoder;
    private readonly NormalizedTensorWriter _writer;

    public ImagePreprocessor(ModelSpec spec, PreprocessingOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        ModelSpecFile.Validate(spec, $"model '{spec.Name}'");
        _spec = spec.Preprocess;
        _mode = options.Mode;
        _decoder = new ImageDecoder(options);
        _writer = new NormalizedTensorWriter(spec.Preprocess, spec.Input.Layout);
    }

    /// <summary>Floats in one image's tensor: 3 * height * width.</summary>
    public int TensorLength => _writer.TensorLength;

    /// <summary>
    /// Decodes and preprocesses one image into <paramref name="destination"/> (length <see cref="TensorLength"/>), laid out
    /// per the model's input layout (NCHW: planes R, G, B; NHWC: interleaved).
    /// </summary>
    /// <exception cref="ImageRejectedException">The bytes are not a usable image; the reason says why.</exception>
    public void Preprocess(ReadOnlySpan<byte> encoded, Span<float> destination)
    {
        CheckLength(destination);
        using var image = DecodeShared(encoded);
        Preprocess(encoded, image, destination);
    }

    /// <summary>
    /// Decodes once for every model of a multi-model pass (the decode does not depend on the model: only the resize,
    /// crop and normalisation that follow it do). Null when this mode decodes per model: Fast mode's shrink-on-load
    /// depends on the model's size.
    /// </summary>
    /// <exception cref="ImageRejectedException">The bytes are not a usable image; the reason says why.</exception>
    public DecodedImage? DecodeShared(ReadOnlySpan<byte> encoded) => UsesShrinkOnLoad(encoded) ? null : _decoder.Decode(encoded);

    /// <summary>
    /// Preprocesses one image from its <paramref name="decoded"/> pixels (<see cref="DecodeShared"/>, possibly another
    /// model's preprocessor's: the pixels are the same), or from its bytes when <paramref name="decoded"/> is null.
    /// </summary>
    /// <exception cref="ImageRejectedException">The bytes are not a usable image; the reason says why.</exception>
    public void Preprocess(ReadOnlySpan<byte> encoded, DecodedImage? decoded, Span<float> destination)
    {
        CheckLength(destination);
        if (decoded is null)
        {
            using var window = _decoder.DecodeShrunk(encoded, _spec, out var shrunk);
            _writer.Write(window.Pixels, shrunk, destination);
            return;
        }

        var geometry = TorchvisionGeometry.For(decoded.Width, decoded.Height, _spec);
        var visible = geometry.Visible;
        var length = visible.Width * visible.Height * 3;
        var resized = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            PillowCompatibleResize.Resize(
                decoded.Pixels, decoded.Width, decoded.Height, geometry.ResizedWidth, geometry.ResizedHeight, _spec.Interpolation, visible, resized);
            _writer.Write(resized.AsSpan(0, length), geometry, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(resized);
        }
    }

    // Fast mode needs libvips' shrink-on-load; the formats another decoder reads (BMP, PNM, TGA, ICO) take the Exact path.
    private bool UsesShrinkOnLoad(ReadOnlySpan<byte> encoded) => _mode == PreprocessingMode.Fast && ImageDecoder.DecodedByLibvips(encoded);

    private void CheckLength(Span<float> destination)
    {
        if (destination.Length != TensorLength)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, expected {TensorLength}", nameof(destination));
        }
    }
}
