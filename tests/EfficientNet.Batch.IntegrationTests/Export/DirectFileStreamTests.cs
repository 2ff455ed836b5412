using EfficientNet.Batch.Scheduler.Export;

namespace EfficientNet.Batch.IntegrationTests.Export;

/// <summary>
/// <see cref="DirectFileStream"/> on the temp folder's real file system: whatever mix of direct block writes, cached
/// tails, flushes and seeks a writer makes, the file holds exactly the bytes written, at their offsets.
/// </summary>
public sealed class DirectFileStreamTests : IDisposable
{
    private const int Block = DirectFileStream.BlockBytes;
    private readonly TempDirectory _dir = new("enb-direct");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Blocks_are_written_directly_and_the_last_partial_block_through_the_page_cache_at_disposal()
    {
        var path = _dir.File("blocks.bin");

        // More blocks than are written behind at once: each is filled again after its write.
        var data = Bytes(((DirectFileStream.Blocks + 3) * Block) + 12_345, seed: 1);
        using (var file = DirectFileStream.Create(path))
        {
            // Odd pieces, none aligned: the stream gathers them into whole blocks.
            WriteInPieces(file, data, [1, 7, 4095, 100_003, 3_000_001]);
            AssertDirectOnLinux(file);
            Assert.Equal(data.Length, file.Position);
        }

        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_flush_of_whole_blocks_stays_direct_and_a_flush_with_a_partial_block_writes_it_and_goes_on_cached()
    {
        var path = _dir.File("flushes.bin");
        var data = Bytes(Block + (3 * 4096) + 10, seed: 2);
        using (var file = DirectFileStream.Create(path))
        {
            file.Write(data.AsSpan(0, 3 * 4096));
            file.Flush();
            AssertDirectOnLinux(file);

            file.Write(data.AsSpan(3 * 4096, Block + 5));
            file.Flush();
            Assert.False(file.IsDirect, "still direct after a flush that ended mid-block");
            Assert.Equal((3 * 4096) + Block + 5, new FileInfo(path).Length);

            file.Write(data.AsSpan((3 * 4096) + Block + 5));
        }

        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task A_header_rewritten_after_a_seek_back_lands_at_its_offset_and_the_file_keeps_its_length()
    {
        var path = _dir.File("header.bin");
        var data = Bytes((3 * Block) + 777, seed: 3);
        var header = Bytes(128, seed: 4);
        await using (var file = DirectFileStream.Create(path))
        {
            file.Write(new byte[128]);
            WriteInPieces(file, data.AsSpan(128).ToArray(), [65_536, 1_000_000]);
            await file.FlushAsync();

            // As the .npy export does: rewrite the header at 0, then go back to the end.
            file.Position = 0;
            file.Write(header);
            file.Position = file.Length;
            Assert.Equal(data.Length, file.Length);
            file.Write("tail"u8);
        }

        header.CopyTo(data, 0);
        Assert.Equal(data.Concat("tail"u8.ToArray()).ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void A_write_that_fails_behind_the_writer_is_thrown_when_its_block_comes_round_again_and_at_flush_and_disposal()
    {
        // Every write to /dev/full fails with ENOSPC, whether the device takes O_DIRECT or not.
        var file = DirectFileStream.Create("/dev/full");
        file.Write(new byte[Block]);
        Assert.Throws<IOException>(file.Flush);
        Assert.Throws<IOException>(file.Dispose);

        var again = DirectFileStream.Create("/dev/full");
        var error = Assert.Throws<IOException>(() => again.Write(new byte[DirectFileStream.Blocks * Block]));
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Throws<IOException>(again.Dispose);
        Assert.Throws<ObjectDisposedException>(() => again.Write([1]));
    }

    [Fact]
    public void An_empty_file_is_created_and_nothing_is_written_after_disposal()
    {
        var path = _dir.File("empty.bin");
        var file = DirectFileStream.Create(path);
        file.Dispose();

        Assert.Equal(0, new FileInfo(path).Length);
        Assert.Throws<ObjectDisposedException>(() => file.Write([1]));
        Assert.Throws<NotSupportedException>(() => file.Read(new byte[1], 0, 1));
    }

    private static void AssertDirectOnLinux(DirectFileStream file)
    {
        if (OperatingSystem.IsLinux())
        {
            // ext4, xfs, btrfs and (since Linux 6.6) tmpfs all take O_DIRECT; if this fails, the temp folder's file
            // system refuses it and every export there goes through the page cache.
            Assert.True(file.IsDirect, $"O_DIRECT was refused in {Path.GetTempPath()}");
        }
    }

    private static void WriteInPieces(Stream stream, byte[] data, int[] sizes)
    {
        var offset = 0;
        for (var i = 0; offset < data.Length; i++)
        {
            var size = Math.Min(sizes[i % sizes.Length], data.Length - offset);
            stream.Write(data, offset, size);
            offset += size;
        }
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
