using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Results;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// A run's embeddings as a NumPy array file (NPY format version 1.0: magic, header length, a Python dict literal
/// naming dtype, order and shape, then the C-order data) plus the keys of its rows, one per line: row i of the
/// N x D array is the image on line i. Only images with a stored embedding are written (failures have none).
/// Streamed: the header is written with room for any shape and rewritten with the final N at the end, so the
/// process holds one row at a time. Loadable by <c>numpy.load(path)</c> (no pickle: plain numeric dtype).
/// </summary>
public sealed class NpyEmbeddingExporter(EmbeddingPrecision precision)
{
    // Magic (6) + version (2) + header length (2) + the dict, padded with spaces and ended by '\n' to a multiple of 64
    // (the alignment numpy itself writes). 128 bytes hold any (N, D) of two 64-bit numbers.
    private const int HeaderBytes = 128;

    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    /// <summary>Writes the array to <paramref name="npy"/> and the keys to <paramref name="keys"/>; returns the row count N.</summary>
    public async Task<long> WriteAsync(IAsyncEnumerable<ExportRow> rows, Stream npy, Stream keys, CancellationToken cancellationToken)
    {
        if (!npy.CanSeek)
        {
            throw new ArgumentException("the .npy export needs a file it can seek in", nameof(npy));
        }

        var start = npy.Position;
        npy.Write(Header(0, 0));
        var count = 0L;
        var dimension = -1;
        float[] singles = [];
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (row.Float16Embedding is not { } embedding)
            {
                continue;
            }

            var length = Float16Blob.Length(embedding);
            if (dimension < 0)
            {
                dimension = length;
                singles = new float[dimension];
            }
            else if (length != dimension)
            {
                throw new InvalidDataException(
                    $"image '{row.Key}' has an embedding of {length} values where earlier images have {dimension}");
            }

            if (row.Key.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new InvalidDataException($"image key '{row.Key.ReplaceLineEndings(" ")}' contains a line break; keys.txt holds one key per line");
            }

            if (precision == EmbeddingPrecision.Binary16)
            {
                // The stored bytes are the array's row: binary16, little-endian, as the header says.
                npy.Write(embedding);
            }
            else
            {
                Float16Blob.ConvertToSingle(embedding, singles);
                npy.Write(MemoryMarshal.AsBytes(singles.AsSpan()));
            }

            keys.Write(Encoding.UTF8.GetBytes(row.Key));
            keys.Write(NewLine);
            count++;
        }

        await npy.FlushAsync(cancellationToken);
        npy.Position = start;
        npy.Write(Header(count, Math.Max(dimension, 0)));
        npy.Position = npy.Length;
        await npy.FlushAsync(cancellationToken);
        await keys.FlushAsync(cancellationToken);
        return count;
    }

    /// <summary>The 128-byte NPY 1.0 header of an array of <paramref name="rows"/> x <paramref name="columns"/>.</summary>
    public byte[] Header(long rows, int columns)
    {
        // float16 rows are the stored little-endian bytes; float32 rows are this machine's floats.
        var type = precision == EmbeddingPrecision.Binary16 ? "<f2" : (BitConverter.IsLittleEndian ? "<" : ">") + "f4";
        var dict = string.Create(
            CultureInfo.InvariantCulture, $"{{'descr': '{type}', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8, 2), HeaderBytes - 10);
        header.AsSpan(10).Fill((byte)' ');
        Encoding.ASCII.GetBytes(dict, header.AsSpan(10));
        header[^1] = (byte)'\n';
        return header;
    }
}
