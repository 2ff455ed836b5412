namespace EfficientNet.Batch.Storage.Images;

/// <summary>
/// realpath(3) in managed code: follows every symbolic link, in every component, so a containment check sees the
/// file that will actually be opened. Components that do not exist are kept as written (opening them fails later).
/// </summary>
internal static class RealPath
{
    // Linux gives up after 40 links in one lookup (ELOOP); so do we.
    private const int MaxLinks = 40;

    public static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? throw new ArgumentException($"'{path}' has no root", nameof(path));
        return Resolve(root, Components(full[root.Length..]));
    }

    /// <summary>Resolves <paramref name="components"/> one by one, starting at a folder that is already real.</summary>
    public static string Resolve(string realFolder, IEnumerable<string> components)
    {
        var pending = new LinkedList<string>(components);
        var current = realFolder;
        var links = 0;
        while (pending.First is { } next)
        {
            pending.RemoveFirst();
            var component = next.Value;
            if (component is "" or ".")
            {
                continue;
            }

            if (component == "..")
            {
                // current is already real, so its lexical parent is its physical parent.
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var candidate = Path.Join(current, component);
            var target = new FileInfo(candidate).LinkTarget;
            if (target is null)
            {
                current = candidate;
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new IOException($"too many levels of symbolic links: {candidate}");
            }

            if (Path.IsPathRooted(target))
            {
                var targetRoot = Path.GetPathRoot(target)!;
                current = targetRoot;
                target = target[targetRoot.Length..];
            }

            var targetComponents = Components(target);
            for (var i = targetComponents.Length - 1; i >= 0; i--)
            {
                pending.AddFirst(targetComponents[i]);
            }
        }

        return current;
    }

    public static bool IsInside(string path, string folder)
    {
        if (string.Equals(path, folder, StringComparison.Ordinal))
        {
            return true;
        }

        var prefix = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, StringComparison.Ordinal);
    }

    private static string[] Components(string relative) =>
        relative.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
