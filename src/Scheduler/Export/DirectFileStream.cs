using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EfficientNet.Batch.Scheduler.Export;

/// <summary>
/// A new file written front to back in blocks of <see cref="BlockBytes"/> that bypass the page cache (Linux
/// <c>O_DIRECT</c>), for exports of gigabytes. On the 2-core test VM, writing 2 GB through the page cache took 4.3 s of
/// kernel CPU (copying every byte into cached pages, then writing them back) and 0.3 s with <c>O_DIRECT</c> (`dd`,
/// 4 MB blocks); a 1M-row float32 export writes 5 GB.
/// <para>
/// <c>O_DIRECT</c> needs the buffer, the length and the file offset of each write aligned to the device's block size:
/// the data is gathered in an aligned buffer and written a whole buffer at a time. The rest is written through the
/// page cache, with <c>O_DIRECT</c> turned off: the last partial block (at <see cref="Flush"/> or disposal) and every
/// write after a seek (the .npy header rewritten at the end). Where the file system refuses <c>O_DIRECT</c> (when it is
/// set, or at the first direct write) or the platform has none, the file is written through the page cache from there
/// on; the content is the same either way.
/// </para>
/// <para>
/// A direct write returns when the device has the data, so full blocks are written behind, in order, on thread-pool
/// threads, while the caller fills the next of <see cref="Blocks"/>; the caller waits only for a block still being
/// written when its turn to be filled comes, and for all of them at <see cref="Flush"/>, <see cref="Seek"/> and
/// disposal. A write's error is thrown at such a wait (and the blocks after it are not written). Measured on a 1M-row
/// float32 Parquet export (2-core VM, a disk that takes 4 MB direct writes at 700-800 MB/s): writing in the caller's
/// thread, the Parquet writer waited 4-8 s of its 19-23 s for the disk; with 2 blocks 1.8-2.8 s, with 4 blocks
/// 0.2-1.9 s, with 8 blocks 0.00-0.03 s. The writer produces a row group (16 MB of embedding values and the other
/// columns) in a burst faster than the disk takes it; 8 blocks hold two such bursts.
/// </para>
/// <para>Not for reading, not thread-safe; like <see cref="FileStream"/>, nothing is synced to the device.</para>
/// </summary>
public sealed partial class DirectFileStream : Stream
{
    /// <summary>The size of each direct write: large, so a write costs one system call per 4 MB.</summary>
    public const int BlockBytes = 4 << 20;

    /// <summary>How many blocks are gathered or being written at once: 32 MB, pinned, per open stream.</summary>
    public const int Blocks = 8;

    /// <summary>Offsets, lengths and the buffer's address are multiples of this (the largest common logical block size).</summary>
    private const int Alignment = 4096;

    private const int GetStatusFlags = 3; // F_GETFL
    private const int SetStatusFlags = 4; // F_SETFL

    private readonly SafeFileHandle _handle;
    private readonly byte[] _storage;
    private readonly int _bufferOffset;
    private readonly Task[] _blockWritten = [.. Enumerable.Repeat(Task.CompletedTask, Blocks)];
    private int _block;
    private Task _writes = Task.CompletedTask;
    private long _bufferStart;
    private int _buffered;
    private long _length;
    private bool _disposed;

    private DirectFileStream(SafeFileHandle handle)
    {
        _handle = handle;

        // Pinned (it never moves), so aligned windows into it stay aligned.
        _storage = GC.AllocateUninitializedArray<byte>((Blocks * BlockBytes) + Alignment, pinned: true);
        var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(_storage, 0);
        _bufferOffset = (int)((Alignment - (address % Alignment)) % Alignment);
        IsDirect = TrySetDirect(handle, true);
    }

    /// <summary>Whether the writes still bypass the page cache (false where the file system refused it, and after a seek).</summary>
    public bool IsDirect { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => !_disposed;

    public override bool CanWrite => !_disposed;

    public override long Length => Math.Max(_length, Position);

    public override long Position
    {
        get => _bufferStart + _buffered;
        set => Seek(value, SeekOrigin.Begin);
    }

    /// <summary>The block being filled; the others may be being written.</summary>
    private Span<byte> Buffer => _storage.AsSpan(_bufferOffset + (_block * BlockBytes), BlockBytes);

    /// <summary>Creates (or truncates) the file at <paramref name="path"/>.</summary>
    public static DirectFileStream Create(string path) =>
        new(File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, BlockBytes - _buffered);
            buffer[..take].CopyTo(Buffer[_buffered..]);
            _buffered += take;
            buffer = buffer[take..];
            if (_buffered == BlockBytes)
            {
                WriteBehind();
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Synchronous: full blocks are already written behind (see the class); at most it waits for a block to come free.</summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes everything gathered so far; a last partial block goes through the page cache (no direct writes after it).</summary>
    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WaitForWrite();
        if (_buffered == 0)
        {
            return;
        }

        if (IsDirect)
        {
            var whole = _buffered / Alignment * Alignment;
            if (whole > 0)
            {
                WriteAt(Buffer[..whole], _bufferStart);
            }

            if (whole == _buffered)
            {
                Advance(whole);
                return;
            }

            // The tail is not a whole block: written cached, at the offset after the direct part.
            StopDirect();
            WriteAt(Buffer[whole.._buffered], _bufferStart + whole);
            Advance(_buffered);
            return;
        }

        WriteAt(Buffer[.._buffered], _bufferStart);
        Advance(_buffered);
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Flush();
        return Task.CompletedTask;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        if (target != Position)
        {
            Flush();
            StopDirect();
            _bufferStart = target;
        }

        return target;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("a DirectFileStream is written, not read");

    public override void SetLength(long value) => throw new NotSupportedException("a DirectFileStream only grows by writes");

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            try
            {
                Flush();
            }
            finally
            {
                _disposed = true;
                _handle.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Turns <c>O_DIRECT</c> on or off for the open file; false where the platform or the file system has none.</summary>
    private static bool TrySetDirect(SafeFileHandle handle, bool on)
    {
        // O_DIRECT's value differs between Linux architectures (asm-generic 040000; arm and arm64 0200000).
        int? direct = !OperatingSystem.IsLinux() ? null : RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => 0x4000,
            Architecture.Arm64 or Architecture.Arm => 0x10000,
            _ => null,
        };
        if (direct is not { } flag)
        {
            return false;
        }

        var flags = Fcntl(handle, GetStatusFlags, 0);
        return flags >= 0 && Fcntl(handle, SetStatusFlags, on ? flags | flag : flags & ~flag) == 0 && on;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle handle, int command, int argument);

    private void StopDirect()
    {
        if (IsDirect)
        {
            TrySetDirect(_handle, false);
            IsDirect = false;
        }
    }

    /// <summary>Starts writing the full block at its offset (aligned while direct) after the blocks before it, and goes on filling the next one once it is free.</summary>
    private void WriteBehind()
    {
        var block = _storage.AsMemory(_bufferOffset + (_block * BlockBytes), BlockBytes);
        _writes = _blockWritten[_block] = WriteAfterAsync(_writes, block, _bufferStart);
        Advance(BlockBytes);
        _block = (_block + 1) % Blocks;
        _blockWritten[_block].GetAwaiter().GetResult();
    }

    private async Task WriteAfterAsync(Task previous, ReadOnlyMemory<byte> block, long offset)
    {
        // In order, on a thread-pool thread; an earlier write's error ends the chain there.
        await previous.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        WriteAt(block.Span, offset);
    }

    /// <summary>Waits for every block being written, and throws the first error.</summary>
    private void WaitForWrite()
    {
        _writes.GetAwaiter().GetResult();
    }

    private void WriteAt(ReadOnlySpan<byte> bytes, long offset)
    {
        try
        {
            RandomAccess.Write(_handle, bytes, offset);
        }
        catch (IOException) when (IsDirect)
        {
            // Some file systems take the O_DIRECT flag and then refuse the write (EINVAL): the same bytes at the same
            // offset again, through the page cache. A real I/O error (a full disk) fails there too, and is thrown.
            StopDirect();
            RandomAccess.Write(_handle, bytes, offset);
        }
    }

    private void Advance(int written)
    {
        _bufferStart += written;
        _length = Math.Max(_length, _bufferStart);
        _buffered = 0;
    }
}
