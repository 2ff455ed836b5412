using EfficientNet.Batch.Storage.Database.Conversions;

namespace EfficientNet.Batch.UnitTests.Storage;

public sealed class ArrayToBlobConverterTests
{
    [Fact]
    public void The_converter_writes_the_blob_layout_and_reads_it_back()
    {
        var converter = new ArrayToBlobConverter<int>();
        int[] values = [7, 3, 1];

        var stored = (byte[])converter.ConvertToProvider(values)!;

        Assert.Equal(ArrayBlob.ToBytes<int>(values), stored);
        Assert.Equal(values, (int[])converter.ConvertFromProvider(stored)!);
    }

    [Fact]
    public void A_1280_float_embedding_is_5120_bytes()
    {
        var converter = new ArrayToBlobConverter<float>();
        var embedding = Enumerable.Range(0, 1280).Select(i => i / 1280f).ToArray();

        var stored = (byte[])converter.ConvertToProvider(embedding)!;

        Assert.Equal(5120, stored.Length);
        Assert.Equal(embedding, (float[])converter.ConvertFromProvider(stored)!);
    }

    [Fact]
    public void The_content_comparer_compares_and_snapshots_by_elements()
    {
        var comparer = new ArrayContentComparer<float>();
        float[] values = [0.5f, 0.25f];

        var snapshot = (float[])comparer.Snapshot(values);
        values[0] = 0.75f;

        Assert.True(comparer.Equals([0.5f, 0.25f], [0.5f, 0.25f]));
        Assert.False(comparer.Equals(values, snapshot));
        Assert.Equal(0.5f, snapshot[0]);
        Assert.Equal(comparer.GetHashCode([1f, 2f]), comparer.GetHashCode([1f, 2f]));
    }
}
