using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Runs;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.UnitTests.Passes;

public sealed class PassPlanningTests
{
    private static readonly RunRequest Template = new("night", RunKind.Label, "", "/data", 5, true, 0.01, 256);

    [Fact]
    public void One_model_keeps_the_run_name_and_several_are_named_after_their_files()
    {
        Assert.Equal("night", Assert.Single(PassRequests.For(Template, ["/m/b0.onnx"])).Name);
        var pass = PassRequests.For(Template, ["/m/b0.onnx", "az://models/b4/b4.onnx", "/other/b0.onnx"]);
        Assert.Equal(["night-b0-1", "night-b4", "night-b0-3"], pass.Select(r => r.Name));
        Assert.Equal(["/m/b0.onnx", "az://models/b4/b4.onnx", "/other/b0.onnx"], pass.Select(r => r.ModelPath));
    }

    [Fact]
    public void An_ensemble_is_stored_as_its_method_and_model_ids_and_read_back()
    {
        var ensemble = new RunEnsemble("geometric", [3, 1, 7]);
        Assert.Equal("geometric:3,1,7", ensemble.Format());
        var read = RunEnsemble.Parse(ensemble.Format())!;
        Assert.Equal("geometric", read.Method);
        Assert.Equal([3L, 1L, 7L], read.ModelIds);
        Assert.Null(RunEnsemble.Parse(null));
        Assert.Throws<FormatException>(() => RunEnsemble.Parse("median:1,2"));
    }

    [Theory]
    [InlineData("--ensemble", "median", "--ensemble must be 'mean' or 'geometric'")]
    [InlineData("--ensemble", "mean", "--ensemble combines several teachers")]
    public async Task A_bad_ensemble_flag_exits_3_naming_it(string flag, string value, string message)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync(
            ["pseudo-label", "teach", Path.GetTempPath(), "--model", "a.onnx", flag, value], new CliConsole(output, error, isInteractive: false));
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_with_only_new_and_two_models_exits_3()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync(
            ["submit", "/data", "--model", "a.onnx", "--model", "b.onnx", "--only-new"], new CliConsole(output, error, isInteractive: false));
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("--only-new works with a single --model", error.ToString(), StringComparison.Ordinal);
    }
}
