using EfficientNet.Batch.Worker.Preprocessing;
using NetVips;

namespace EfficientNet.Batch.Scheduler.Service;

/// <summary>
/// Small JPEG previews for the dashboard, made on demand from the image store with libvips' thumbnail (shrink-on-load):
/// at most <see cref="MaxSize"/> pixels on the long side, images over <see cref="MaxPixels"/> refused from their
/// header, and a time limit; the original bytes never go to the browser.
/// </summary>
public static class ThumbnailRenderer
{
    public const int MaxSize = 256;
    public const long MaxPixels = 100_000_000;
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(5);

    /// <summary>The JPEG bytes of a thumbnail, or null when the bytes are not an image libvips reads within the limits.</summary>
    public static async Task<byte[]?> RenderAsync(byte[] encoded, int size, CancellationToken cancellationToken)
    {
        LibvipsSetup.EnsureInitialized();
        var bounded = Math.Clamp(size, 16, MaxSize);
        var render = Task.Run(() => Render(encoded, bounded), cancellationToken);
        try
        {
            return await render.WaitAsync(TimeLimit, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private static byte[]? Render(byte[] encoded, int size)
    {
        try
        {
            using (var header = Image.NewFromBuffer(encoded, access: Enums.Access.Sequential))
            {
                if ((long)header.Width * header.Height > MaxPixels)
                {
                    return null;
                }
            }

            using var thumbnail = Image.ThumbnailBuffer(encoded, size, height: size, size: Enums.Size.Down);
            return thumbnail.JpegsaveBuffer(q: 80, keep: Enums.ForeignKeep.None);
        }
        catch (VipsException)
        {
            return null;
        }
    }
}
