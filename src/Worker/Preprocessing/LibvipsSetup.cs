using NetVips;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>Process-wide libvips settings for decoding untrusted images; applied once, before the first decode.</summary>
public static class LibvipsSetup
{
    private static readonly Lazy<bool> Applied = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureInitialized() => _ = Applied.Value;

    private static bool Apply()
    {
        if (!ModuleInitializer.VipsInitialized)
        {
            throw new InvalidOperationException(
                $"libvips could not be loaded (NetVips.Native.linux-x64 provides it): {ModuleInitializer.Exception?.Message}",
                ModuleInitializer.Exception);
        }

        // Loaders libvips has not fuzzed (vips, matrix, csv, fits, magick, ...) must never see user bytes.
        global::NetVips.NetVips.BlockUntrusted = true;

        // Every image is decoded once: caching operations only holds memory (and the encoded buffers) longer.
        Cache.Max = 0;
        Cache.MaxMem = 0;
        Cache.MaxFiles = 0;

        // The pipeline runs one decode per thread across images; libvips' own worker threads per image would oversubscribe.
        global::NetVips.NetVips.Concurrency = 1;

        // libvips reports each corrupt image as a warning on stderr as well as in the exception we turn into a reason:
        // with millions of user images that is noise, so the log copy is dropped.
        Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning | Enums.LogLevelFlags.Message | Enums.LogLevelFlags.Info, static (_, _, _) => { });
        return true;
    }
}
