using System.Xml.Linq;

namespace EfficientNet.Batch.DeployTests.Images;

/// <summary>An SDK-style .csproj under src/, read as XML (the tests do not build the application).</summary>
internal sealed class ProjectFile
{
    private readonly XDocument _xml;

    private ProjectFile(string relativePath)
    {
        RelativePath = relativePath.Replace('\\', '/');
        _xml = XDocument.Load(RepositoryRoot.Combine(RelativePath));
    }

    /// <summary>Path from the repository root, with forward slashes (as in the Dockerfiles).</summary>
    public string RelativePath { get; }

    public string AssemblyName =>
        _xml.Descendants("AssemblyName").Select(e => e.Value.Trim()).LastOrDefault()
        ?? Path.GetFileNameWithoutExtension(RelativePath);

    public static ProjectFile Load(string relativePath) => new(relativePath);

    /// <summary>This project and every project it references, directly or not.</summary>
    public IReadOnlyList<ProjectFile> WithReferencesClosure()
    {
        var found = new Dictionary<string, ProjectFile>(StringComparer.Ordinal);
        var pending = new Stack<ProjectFile>([this]);
        while (pending.TryPop(out var project))
        {
            if (!found.TryAdd(project.RelativePath, project))
            {
                continue;
            }

            foreach (var include in project._xml.Descendants("ProjectReference").Select(e => (string?)e.Attribute("Include")).OfType<string>())
            {
                var directory = Path.GetDirectoryName(RepositoryRoot.Combine(project.RelativePath))!;
                var full = Path.GetFullPath(Path.Combine(directory, include.Replace('\\', '/')));
                pending.Push(Load(Path.GetRelativePath(RepositoryRoot.Path, full)));
            }
        }

        return [.. found.Values];
    }
}
