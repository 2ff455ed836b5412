using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EfficientNet.Batch.Models;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>
/// Pillow's <c>Image.resize</c> of an 8-bit RGB image, reimplemented from reading Pillow's src/libImaging/Resample.c
/// (bilinear, bicubic) and Geometry.c (nearest): the same coefficients in double precision, the same fixed-point
/// rounding and clipping, the same horizontal-then-vertical order. The result equals PIL's byte for byte, which is
/// what makes the tensor equal torchvision's (max difference 0.0 on the parity photos; docs/preprocessing.md).
/// </summary>
/// <remarks>
/// Only the output pixels inside <c>window</c> are computed: each output pixel depends on its own row and column
/// coefficients only, so resampling just the center crop gives the same bytes as resampling everything and cropping.
/// </remarks>
public static class PillowCompatibleResize
{
    // Resample.c: 8 bits for the result, 2 bits of headroom for filters with negative lobes.
    private const int PrecisionBits = 32 - 8 - 2;
    private const int Half = 1 << (PrecisionBits - 1);

    /// <summary>
    /// Resizes packed RGB <paramref name="source"/> (<paramref name="width"/> x <paramref name="height"/>) to
    /// <paramref name="outWidth"/> x <paramref name="outHeight"/> and writes the pixels of <paramref name="window"/>
    /// (in output coordinates, inside the output) to <paramref name="destination"/>, packed RGB, window.Width per row.
    /// </summary>
    public static void Resize(
        ReadOnlySpan<byte> source,
        int width,
        int height,
        int outWidth,
        int outHeight,
        ResizeInterpolation interpolation,
        PixelWindow window,
        Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outHeight, 1);
        if (window.IsEmpty || window.Left < 0 || window.Top < 0 || window.Right > outWidth || window.Bottom > outHeight)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, $"must be a non-empty part of the {outWidth}x{outHeight} output");
        }

        if ((long)width * height * 3 > source.Length)
        {
            throw new ArgumentException($"source holds fewer than {width}x{height} RGB pixels", nameof(source));
        }

        if ((long)window.Width * window.Height * 3 > destination.Length)
        {
            throw new ArgumentException("destination is smaller than the window", nameof(destination));
        }

        if (outWidth == width && outHeight == height)
        {
            CopyWindow(source, width, window, destination);
        }
        else if (interpolation == ResizeInterpolation.Nearest)
        {
            Nearest(source, width, height, outWidth, outHeight, window, destination);
        }
        else
        {
            var support = interpolation switch
            {
                ResizeInterpolation.Bilinear => 1.0,
                ResizeInterpolation.Bicubic => 2.0,
                _ => throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "unsupported interpolation"),
            };
            Convolve(source, width, height, outWidth, outHeight, interpolation, support, window, destination);
        }
    }

    private static void CopyWindow(ReadOnlySpan<byte> source, int width, PixelWindow window, Span<byte> destination)
    {
        var rowBytes = window.Width * 3;
        for (var y = 0; y < window.Height; y++)
        {
            source.Slice(((window.Top + y) * width + window.Left) * 3, rowBytes).CopyTo(destination.Slice(y * rowBytes, rowBytes));
        }
    }

    /// <summary>ImagingResampleInner: horizontal pass over the rows the vertical pass reads, then the vertical pass.</summary>
    private static void Convolve(
        ReadOnlySpan<byte> source,
        int width,
        int height,
        int outWidth,
        int outHeight,
        ResizeInterpolation filter,
        double support,
        PixelWindow window,
        Span<byte> destination)
    {
        var needHorizontal = outWidth != width;
        var needVertical = outHeight != height;

        var xTaps = needHorizontal ? Coefficients.Compute(width, outWidth, filter, support, window.Left, window.Width) : null;
        var yTaps = needVertical ? Coefficients.Compute(height, outHeight, filter, support, window.Top, window.Height) : null;
        try
        {
            // The source rows the vertical pass reads (Resample.c: ybox_first .. ybox_last).
            int firstRow, lastRow;
            if (yTaps is not null)
            {
                firstRow = yTaps.Start(0);
                lastRow = yTaps.Start(window.Height - 1) + yTaps.Count(window.Height - 1);
            }
            else
            {
                firstRow = window.Top;
                lastRow = window.Bottom;
            }

            var rowBytes = window.Width * 3;
            var rows = lastRow - firstRow;
            var temp = ArrayPool<byte>.Shared.Rent(rows * rowBytes);
            try
            {
                var horizontal = temp.AsSpan(0, rows * rowBytes);
                for (var r = 0; r < rows; r++)
                {
                    var sourceRow = source.Slice((firstRow + r) * width * 3, width * 3);
                    var outRow = horizontal.Slice(r * rowBytes, rowBytes);
                    if (xTaps is null)
                    {
                        sourceRow.Slice(window.Left * 3, rowBytes).CopyTo(outRow);
                    }
                    else
                    {
                        HorizontalRow(source[((firstRow + r) * width * 3)..], xTaps, outRow);
                    }
                }

                if (yTaps is null)
                {
                    horizontal.CopyTo(destination);
                }
                else
                {
                    Vertical(horizontal, rowBytes, firstRow, yTaps, destination);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(temp);
            }
        }
        finally
        {
            xTaps?.Dispose();
            yTaps?.Dispose();
        }
    }

    /// <param name="sourceRow">The source row and everything after it in the buffer: the vector path reads one byte past a pixel.</param>
    private static unsafe void HorizontalRow(ReadOnlySpan<byte> sourceRow, Coefficients taps, Span<byte> outRow)
    {
        var kernels = taps.Kernels;
        fixed (byte* source = sourceRow)
        fixed (int* kernel = kernels)
        fixed (byte* output = outRow)
        {
            for (var xx = 0; xx < taps.OutputCount; xx++)
            {
                var count = taps.Count(xx);
                var k = kernel + (xx * taps.KernelSize);
                var pixels = source + (taps.Start(xx) * 3);
                int r, g, b;
                if (Sse41.IsSupported && ((taps.Start(xx) + count) * 3) < sourceRow.Length)
                {
                    // R, G, B (and the next byte, weighted but ignored) of one pixel per 4 x int32 lane: the same
                    // integer sums as the scalar loop, so the same bytes.
                    var sum = Vector128.Create(Half);
                    for (var x = 0; x < count; x++)
                    {
                        var pixel = Sse41.ConvertToVector128Int32(pixels + (x * 3));
                        sum = Sse2.Add(sum, Sse41.MultiplyLow(pixel, Vector128.Create(k[x])));
                    }

                    r = sum.GetElement(0);
                    g = sum.GetElement(1);
                    b = sum.GetElement(2);
                }
                else
                {
                    r = g = b = Half;
                    for (var x = 0; x < count; x++)
                    {
                        var weight = k[x];
                        r += pixels[x * 3] * weight;
                        g += pixels[(x * 3) + 1] * weight;
                        b += pixels[(x * 3) + 2] * weight;
                    }
                }

                output[xx * 3] = Clip8(r);
                output[(xx * 3) + 1] = Clip8(g);
                output[(xx * 3) + 2] = Clip8(b);
            }
        }
    }

    private static void Vertical(ReadOnlySpan<byte> rows, int rowBytes, int firstRow, Coefficients taps, Span<byte> destination)
    {
        var kernels = taps.Kernels;
        var sums = ArrayPool<int>.Shared.Rent(rowBytes);
        try
        {
            var acc = sums.AsSpan(0, rowBytes);
            for (var yy = 0; yy < taps.OutputCount; yy++)
            {
                var count = taps.Count(yy);
                var k = kernels.Slice(yy * taps.KernelSize, count);
                var start = taps.Start(yy) - firstRow;
                acc.Fill(Half);

                // Row by row rather than pixel by pixel: the same integer sums (addition order does not matter), contiguous reads.
                for (var y = 0; y < k.Length; y++)
                {
                    AccumulateRow(rows.Slice((start + y) * rowBytes, rowBytes), k[y], acc);
                }

                var outRow = destination.Slice(yy * rowBytes, rowBytes);
                for (var i = 0; i < acc.Length; i++)
                {
                    outRow[i] = Clip8(acc[i]);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(sums);
        }
    }

    private static unsafe void AccumulateRow(ReadOnlySpan<byte> row, int weight, Span<int> sums)
    {
        var i = 0;
        fixed (byte* values = row)
        fixed (int* acc = sums)
        {
            if (Avx2.IsSupported)
            {
                var w = Vector256.Create(weight);
                for (; i + 8 <= row.Length; i += 8)
                {
                    var products = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(values + i), w);
                    Avx.Store(acc + i, Avx2.Add(Avx.LoadVector256(acc + i), products));
                }
            }

            for (; i < row.Length; i++)
            {
                acc[i] += values[i] * weight;
            }
        }
    }

    // Resample.c clip8: the sum is in fixed point; its integer part is clamped to a byte (arithmetic shift = floor).
    private static byte Clip8(int sum)
    {
        var value = sum >> PrecisionBits;
        return value < 0 ? (byte)0 : value > 255 ? (byte)255 : (byte)value;
    }

    /// <summary>
    /// PIL's NEAREST (_imaging.c _resize → Geometry.c ImagingScaleAffine): source coordinates accumulated by repeated
    /// addition of in/out from half a step, floored; accumulated exactly as Pillow does so the rounding matches too.
    /// </summary>
    private static void Nearest(ReadOnlySpan<byte> source, int width, int height, int outWidth, int outHeight, PixelWindow window, Span<byte> destination)
    {
        var columns = ArrayPool<int>.Shared.Rent(window.Width);
        var rows = ArrayPool<int>.Shared.Rent(window.Height);
        try
        {
            NearestTable(width, outWidth, window.Left, columns.AsSpan(0, window.Width));
            NearestTable(height, outHeight, window.Top, rows.AsSpan(0, window.Height));
            var rowBytes = window.Width * 3;
            for (var y = 0; y < window.Height; y++)
            {
                var outRow = destination.Slice(y * rowBytes, rowBytes);
                var sy = rows[y];
                if (sy < 0)
                {
                    outRow.Clear();
                    continue;
                }

                var sourceRow = source.Slice(sy * width * 3, width * 3);
                for (var x = 0; x < window.Width; x++)
                {
                    var sx = columns[x];
                    if (sx < 0)
                    {
                        outRow.Slice(x * 3, 3).Clear();
                    }
                    else
                    {
                        sourceRow.Slice(sx * 3, 3).CopyTo(outRow.Slice(x * 3, 3));
                    }
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(columns);
            ArrayPool<int>.Shared.Return(rows);
        }
    }

    private static void NearestTable(int inSize, int outSize, int first, Span<int> table)
    {
        // _resize: a = (double)(box1 - box0) / size with float box coordinates; ScaleAffine starts at box0 + a / 2.
        var step = (double)((float)inSize - 0f) / outSize;
        var position = 0.0 + (step * 0.5);
        for (var i = 0; i < first + table.Length; i++)
        {
            if (i >= first)
            {
                // COORD(v): -1 for negative, else truncation; outside the source Pillow leaves the fill (zero).
                var coordinate = position < 0.0 ? -1 : (int)position;
                table[i - first] = coordinate < inSize ? coordinate : -1;
            }

            position += step;
        }
    }

    /// <summary>Resample.c precompute_coeffs + normalize_coeffs_8bpc, for the output pixels [first, first + count) only.</summary>
    private sealed class Coefficients : IDisposable
    {
        private readonly int[] _bounds;
        private readonly int[] _kernels;

        private Coefficients(int outputCount, int kernelSize)
        {
            OutputCount = outputCount;
            KernelSize = kernelSize;
            _bounds = ArrayPool<int>.Shared.Rent(outputCount * 2);
            _kernels = ArrayPool<int>.Shared.Rent(outputCount * kernelSize);
        }

        public int OutputCount { get; }

        public int KernelSize { get; }

        public ReadOnlySpan<int> Kernels => _kernels.AsSpan(0, OutputCount * KernelSize);

        public int Start(int i) => _bounds[i * 2];

        public int Count(int i) => _bounds[(i * 2) + 1];

        public static Coefficients Compute(int inSize, int outSize, ResizeInterpolation filter, double filterSupport, int first, int count)
        {
            // The box is float in Pillow: (in1 - in0) is computed in single precision before widening.
            var scale = (double)((float)inSize - 0f) / outSize;
            var filterScale = scale < 1.0 ? 1.0 : scale;
            var support = filterSupport * filterScale;
            var kernelSize = ((int)Math.Ceiling(support) * 2) + 1;

            var result = new Coefficients(count, kernelSize);
            Span<double> weights = kernelSize <= 256 ? stackalloc double[kernelSize] : new double[kernelSize];
            var inverseScale = 1.0 / filterScale;
            for (var i = 0; i < count; i++)
            {
                var xx = first + i;
                var center = 0.0 + ((xx + 0.5) * scale);
                var xmin = (int)(center - support + 0.5);
                if (xmin < 0)
                {
                    xmin = 0;
                }

                var xmax = (int)(center + support + 0.5);
                if (xmax > inSize)
                {
                    xmax = inSize;
                }

                xmax -= xmin;
                var total = 0.0;
                for (var x = 0; x < xmax; x++)
                {
                    var w = Filter(filter, (x + xmin - center + 0.5) * inverseScale);
                    weights[x] = w;
                    total += w;
                }

                var kernel = result._kernels.AsSpan(i * kernelSize, kernelSize);
                kernel.Clear();
                for (var x = 0; x < xmax; x++)
                {
                    var k = total != 0.0 ? weights[x] / total : weights[x];
                    kernel[x] = k < 0 ? (int)(-0.5 + (k * (1 << PrecisionBits))) : (int)(0.5 + (k * (1 << PrecisionBits)));
                }

                result._bounds[i * 2] = xmin;
                result._bounds[(i * 2) + 1] = xmax;
            }

            return result;
        }

        private static double Filter(ResizeInterpolation filter, double x) => filter switch
        {
            ResizeInterpolation.Bilinear => Triangle(x),
            _ => Cubic(x),
        };

        private static double Triangle(double x)
        {
            if (x < 0.0)
            {
                x = -x;
            }

            return x < 1.0 ? 1.0 - x : 0.0;
        }

        // Keys' cubic convolution with a = -0.5, in the exact operation order of Resample.c bicubic_filter.
        private static double Cubic(double x)
        {
            const double a = -0.5;
            if (x < 0.0)
            {
                x = -x;
            }

            if (x < 1.0)
            {
                return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
            }

            if (x < 2.0)
            {
                return ((((((x - 5) * x) + 8) * x) - 4) * a);
            }

            return 0.0;
        }

        public void Dispose()
        {
            ArrayPool<int>.Shared.Return(_bounds);
            ArrayPool<int>.Shared.Return(_kernels);
        }
    }
}
