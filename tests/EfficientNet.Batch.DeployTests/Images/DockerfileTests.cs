using EfficientNet.Batch.DeployTests.Chart;

namespace EfficientNet.Batch.DeployTests.Images;

public sealed class DockerfileTests
{
    public static TheoryData<string, string> Images => new()
    {
        { "worker.Dockerfile", "src/Worker/EfficientNet.Batch.Worker.csproj" },
        { "scheduler.Dockerfile", "src/Scheduler/EfficientNet.Batch.Scheduler.csproj" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void The_entrypoint_runs_the_assembly_that_the_project_builds(string dockerfile, string project)
    {
        var entrypoint = Assert.Single(Load(dockerfile).FinalStage, i => i.Keyword == "ENTRYPOINT");

        Assert.Equal(["dotnet", $"/app/{ProjectFile.Load(project).AssemblyName}.dll"], entrypoint.ExecForm);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void The_project_is_published_framework_dependent_for_linux_x64_into_app(string dockerfile, string project)
    {
        var file = Load(dockerfile);
        var publish = Assert.Single(file.All, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));

        foreach (var part in new[] { $"dotnet publish {project}", "-c Release", "-r linux-x64", "--self-contained false", "-o /app" })
        {
            Assert.Contains(part, publish.Arguments, StringComparison.Ordinal);
        }

        Assert.Contains(file.FinalStage, i => i.Keyword == "COPY" && i.CopiesFromStage && i.CopySources.SequenceEqual(["/app"]));
        Assert.True(file.Stages.Count >= 2, "a multi-stage build keeps the SDK out of the image");
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Every_project_in_the_build_is_copied_before_the_restore(string dockerfile, string project)
    {
        var instructions = Load(dockerfile).All.ToList();
        var restore = instructions.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        Assert.True(restore >= 0, "no dotnet restore step");
        var copiedBeforeRestore = instructions.Take(restore).Where(i => i.Keyword == "COPY").SelectMany(i => i.CopySources).ToHashSet(StringComparer.Ordinal);

        foreach (var required in ProjectFile.Load(project).WithReferencesClosure().Select(p => p.RelativePath)
                     .Concat(["global.json", "Directory.Build.props", "Directory.Packages.props"]))
        {
            Assert.True(copiedBeforeRestore.Contains(required), $"{dockerfile} does not copy {required} before `dotnet restore`");
        }
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Everything_the_build_copies_exists_and_is_in_the_build_context(string dockerfile, string project)
    {
        _ = project;
        var ignored = DockerIgnorePatterns();

        foreach (var source in Load(dockerfile).All.Where(i => i.Keyword == "COPY" && !i.CopiesFromStage).SelectMany(i => i.CopySources))
        {
            var path = source.TrimEnd('/');
            Assert.True(File.Exists(RepositoryRoot.Combine(path)) || Directory.Exists(RepositoryRoot.Combine(path)), $"{dockerfile} copies {source}, which does not exist");
            Assert.DoesNotContain(ignored, pattern => path == pattern || path.StartsWith(pattern + "/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_worker_image_runs_as_the_chart_worker_user_and_carries_cuda_13_with_cudnn()
    {
        var file = Load("worker.Dockerfile");
        var user = Assert.Single(file.FinalStage, i => i.Keyword == "USER").Arguments.Split(':')[0];
        var baseImage = File.ReadAllLines(Path.Combine(DockerDirectory, "worker.Dockerfile"))
            .Single(line => line.StartsWith("ARG CUDA_IMAGE=", StringComparison.Ordinal));

        Assert.Equal(ValuesFile.Default.Value("worker", "podSecurityContext", "runAsUser"), user);
        Assert.Contains("nvidia/cuda:13.", baseImage, StringComparison.Ordinal);
        Assert.Contains("cudnn", baseImage, StringComparison.Ordinal);
        Assert.Equal("FROM ${CUDA_IMAGE}", $"FROM {file.FinalStage[0].Arguments}");
    }

    [Fact]
    public void The_scheduler_image_runs_as_the_dotnet_images_non_root_user_by_number()
    {
        var user = Assert.Single(Load("scheduler.Dockerfile").FinalStage, i => i.Keyword == "USER").Arguments;

        // APP_UID=1654 in mcr.microsoft.com/dotnet images; a numeric user lets Kubernetes verify runAsNonRoot.
        Assert.Equal("$APP_UID", user);
        Assert.Equal("1654", ValuesFile.Default.Value("scheduler", "podSecurityContext", "runAsUser"));
    }

    [Fact]
    public void The_scheduler_build_stage_installs_npm_before_the_publish_that_restores_the_dashboard_assets()
    {
        var build = Load("scheduler.Dockerfile").Stages[0].ToList();
        var npm = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("npm", StringComparison.Ordinal));
        var publish = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));

        // The Scheduler project runs `npm ci` in src/Scheduler/Dashboard (Chart.js) when it builds.
        Assert.True(File.Exists(RepositoryRoot.Combine("src", "Scheduler", "Dashboard", "package-lock.json")));
        Assert.InRange(npm, 0, publish - 1);
    }

    private static readonly string DockerDirectory = RepositoryRoot.Combine("deploy", "docker");

    private static Dockerfile Load(string name) => Dockerfile.Load(Path.Combine(DockerDirectory, name));

    // Root-anchored and plain patterns of .dockerignore, as paths without slashes at either end.
    private static List<string> DockerIgnorePatterns()
    {
        var file = RepositoryRoot.Combine(".dockerignore");
        return !File.Exists(file)
            ? []
            : [.. File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('!') && !l.StartsWith("**", StringComparison.Ordinal)).Select(l => l.Trim('/'))];
    }
}
