namespace EfficientNet.Batch.IntegrationTests;

/// <summary>A fresh folder per test, deleted afterwards, so no test depends on another's files.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "enb-test") =>
        Path = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}")).FullName;

    public string Path { get; }

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process still holding a file (SQLite WAL) is not worth failing the test over.
        }
    }
}
