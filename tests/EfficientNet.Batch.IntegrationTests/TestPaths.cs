namespace EfficientNet.Batch.IntegrationTests;

/// <summary>Committed files the tests read: the repository root is the folder that holds EfficientNet.Batch.sln.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string SamplePhotos => Path.Combine(RepoRoot, "samples", "photos");

    public static string TestModel => Path.Combine(RepoRoot, "models", "test", "efficientnet_tiny.onnx");

    public static string Reference => Path.Combine(RepoRoot, "tests", "assets", "reference");

    public static string OddImages => Path.Combine(RepoRoot, "tests", "assets", "odd");

    public static string Formats => Path.Combine(RepoRoot, "tests", "assets", "formats");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EfficientNet.Batch.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no EfficientNet.Batch.sln above {AppContext.BaseDirectory}");
    }
}
