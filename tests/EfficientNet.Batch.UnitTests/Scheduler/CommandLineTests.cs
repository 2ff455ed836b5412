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

    [Theory]
    [InlineData("resume")]
    [InlineData("retry-failed")]
    public async Task Resume_and_embedded_retry_failed_name_a_missing_database_file_before_starting_anything(string command)
    {
        var database = Path.Combine(Path.GetTempPath(), $"enb-missing-{Guid.NewGuid():N}.db");
        var (exitCode, _, error) = await RunAsync(command, "latest", "--db", database);
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Equal($"error: database not found: {database} (pass the --db the run was made with)", error.Trim());
        Assert.False(File.Exists(database));
    }

    [Fact]
    public async Task Resume_checks_its_batch_size_like_label()
    {
        var (exitCode, _, error) = await RunAsync("resume", "latest", "--batch-size", "0");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("--batch-size must be 'auto' or between 1 and 1024, got '0'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_format_accepts_only_jsonl_and_csv()
    {
        var (exitCode, _, error) = await RunAsync("export", "--format", "xml", "--out", "x");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("xml", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pseudo_label_select_names_its_missing_required_options()
    {
        var (exitCode, _, error) = await RunAsync("pseudo-label", "select", "--run", "latest", "--per-class", "10");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("--name", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pseudo_label_select_accepts_only_hard_and_soft_modes()
    {
        var (exitCode, _, error) = await RunAsync("pseudo-label", "select", "--run", "r", "--per-class", "1", "--name", "n", "--mode", "medium");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("medium", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--per-class", "0", "--per-class must be at least 1")]
    [InlineData("--min-confidence", "1.5", "--min-confidence must be between 0 and 1")]
    [InlineData("--temperature", "0", "--temperature must be greater than 0")]
    public async Task Pseudo_label_select_names_an_out_of_range_value(string flag, string value, string message)
    {
        string[] args = ["pseudo-label", "select", "--run", "r", "--name", "n", .. flag == "--per-class" ? [] : new[] { "--per-class", "5" }, flag, value];
        var (exitCode, _, error) = await RunAsync(args);
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pseudo_label_export_refuses_parquet_on_stdout()
    {
        var (exitCode, _, error) = await RunAsync("pseudo-label", "export", "--set", "s", "--format", "parquet", "--out", "-");
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("Parquet cannot be written to stdout", error, StringComparison.Ordinal);
    }
}
