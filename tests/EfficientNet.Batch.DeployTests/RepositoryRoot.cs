namespace EfficientNet.Batch.DeployTests;

/// <summary>The checkout these tests read: the nearest folder above the test binaries that holds the solution.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    public static string Combine(params string[] relative) => System.IO.Path.Combine([Path, .. relative]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "EfficientNet.Batch.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no EfficientNet.Batch.sln above {AppContext.BaseDirectory}");
    }
}
