using EfficientNet.Batch.Scheduler.Cli;

namespace EfficientNet.Batch.UnitTests.Scheduler;

public sealed class CommandLineTests
{
    private static async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync(args, new CliConsole(output, error, isInteractive: false));
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task An_unknown_flag_is_an_input_error_that_names_the_flag()
    {
        var (exitCode, _, error) = await RunAsync("label", "somewhere", "--batchsize", "8");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("--batchsize", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_folder_is_reported_in_one_line()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"enb-missing-{Guid.NewGuid():N}");
        var (exitCode, _, error) = await RunAsync("label", folder);
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Equal($"error: folder not found: {folder}", error.Trim());
    }

    [Theory]
    [InlineData("--topk", "0", "--topk must be between 1 and 1000")]
    [InlineData("--batch-size", "0", "--batch-size must be 'auto' or between 1 and 1024, got '0'")]
    [InlineData("--batch-size", "eight", "--batch-size must be 'auto' or between 1 and 1024, got 'eight'")]
    [InlineData("--error-budget", "1.5", "--error-budget must be a fraction between 0 and 1")]
    public async Task Out_of_range_values_name_the_flag_and_its_range(string flag, string value, string message)
    {
        var (exitCode, _, error) = await RunAsync("label", Path.GetTempPath(), flag, value);
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_format_accepts_only_jsonl_and_csv()
    {
        var (exitCode, _, error) = await RunAsync("export", "--format", "xml", "--out", "x");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("xml", error, StringComparison.Ordinal);
    }
}
