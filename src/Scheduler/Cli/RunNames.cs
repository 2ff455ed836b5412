namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>Default run names: the last meaningful part of the source (folder, prefix or manifest name).</summary>
public static class RunNames
{
    public static string FromSource(string source)
    {
        var trimmed = source.TrimEnd('/', Path.DirectorySeparatorChar);
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        var tail = trimmed[(trimmed.LastIndexOfAny(['/', Path.DirectorySeparatorChar, ':']) + 1)..];
        var name = Path.GetFileNameWithoutExtension(tail);
        return name.Length > 0 ? name : colon > 0 ? trimmed[..colon] : "run";
    }
}
