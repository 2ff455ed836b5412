using NetVips;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>Reads bytes with libvips: the decode step <see cref="LibvipsErrors.Run{T}"/> guards.</summary>
internal delegate T LibvipsRead<out T>(ReadOnlySpan<byte> encoded);

/// <summary>
/// Makes a failure's reason belong to its own image. libvips keeps one error buffer for the whole process: while many
/// threads decode, a failing image's message can be read (and cleared) by another thread's failure, which would report
/// it as its own. So decodes run concurrently under a shared lock, and a decode that fails with a libvips error is run
/// once more under the exclusive lock, from an empty buffer, so that the message read then is only its own. Decoding is
/// deterministic, so the second run fails the same way; only failing images pay for it.
/// </summary>
internal static class LibvipsErrors
{
    private static readonly ReaderWriterLockSlim Lock = new(LockRecursionPolicy.NoRecursion);

    public static T Run<T>(ReadOnlySpan<byte> encoded, LibvipsRead<T> read)
    {
        Lock.EnterReadLock();
        try
        {
            return read(encoded);
        }
        catch (ImageRejectedException e) when (e.InnerException is VipsException)
        {
            // Retried below, outside the shared lock.
        }
        finally
        {
            Lock.ExitReadLock();
        }

        Lock.EnterWriteLock();
        try
        {
            // Constructing a VipsException reads and clears libvips' error buffer: what other images left there.
            _ = new VipsException(string.Empty);
            return read(encoded);
        }
        finally
        {
            Lock.ExitWriteLock();
        }
    }
}
