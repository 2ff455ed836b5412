using System.IO.Enumeration;
using System.Runtime.CompilerServices;

namespace EfficientNet.Batch.Storage.Sources;

/// <summary>
/// Lists the images under a folder, recursively and streamed: one folder's listing in memory at a time (sorted by
/// ordinal name, so keys come out in the same order on every run), depth first.
/// Skipped: names starting with '.', files without an image extension (<see cref="ImageFileExtensions"/>), and
/// symbolic links to folders (they can form cycles or leave the folder). Symbolic links to files are listed; the
/// image store refuses those that lead outside the folder, so they become fetch failures with a reason.
/// A folder that cannot be read stops the listing with its exception (UnauthorizedAccessException names the
/// path) rather than silently dropping its images from the run.
/// </summary>
public sealed class LocalFolderSource : IImageSource
{
    private static readonly EnumerationOptions OneLevel = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = false,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
        MatchType = MatchType.Simple,
    };

    public LocalFolderSource(string rootFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootFolder);
        Location = Path.GetFullPath(rootFolder);
        if (!Directory.Exists(Location))
        {
            throw new DirectoryNotFoundException($"image folder not found: {Location}");
        }
    }

    public string Location { get; }

    public async IAsyncEnumerable<string> EnumerateKeysAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var folders = new Stack<(string Prefix, IEnumerator<Entry> Entries)>();
        try
        {
            folders.Push(("", await ListAsync(Location, cancellationToken)));
            while (folders.TryPeek(out var folder))
            {
                if (!folder.Entries.MoveNext())
                {
                    folders.Pop().Entries.Dispose();
                    continue;
                }

                var entry = folder.Entries.Current;
                var key = folder.Prefix + entry.Name;
                if (entry.IsFolder)
                {
                    folders.Push((key + "/", await ListAsync(Path.Join(Location, key), cancellationToken)));
                }
                else
                {
                    yield return key;
                }
            }
        }
        finally
        {
            while (folders.TryPop(out var folder))
            {
                folder.Entries.Dispose();
            }
        }
    }

    /// <summary>One folder's image files and subfolders, sorted; listed on the thread pool (it is blocking I/O).</summary>
    private static Task<IEnumerator<Entry>> ListAsync(string folder, CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                var entries = new FileSystemEnumerable<Entry>(
                    folder,
                    (ref FileSystemEntry e) => new Entry(e.FileName.ToString(), e.IsDirectory),
                    OneLevel)
                {
                    ShouldIncludePredicate = (ref FileSystemEntry e) =>
                        !e.FileName.StartsWith('.')
                        && (e.IsDirectory
                            ? (e.Attributes & FileAttributes.ReparsePoint) == 0
                            : ImageFileExtensions.IsImage(e.FileName)),
                }.ToList();
                entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                return (IEnumerator<Entry>)entries.GetEnumerator();
            },
            cancellationToken);

    private readonly record struct Entry(string Name, bool IsFolder);
}
