using System.Text.Json;
using EfficientNet.Batch.Scheduler.Cli;
using Microsoft.Data.Sqlite;

namespace EfficientNet.Batch.IntegrationTests.Embedded;

/// <summary>The CLI run in this process over a SQLite file of the test's own, and plain SQL reads of that file.</summary>
internal sealed class EmbeddedCli(string database)
{
    public string Database { get; } = database;

    public async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await CliApplication.RunAsync([.. args, "--db", Database], new CliConsole(output, error, isInteractive: false));
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Exports a run as JSONL and returns each row's status by key (a key seen twice fails the test).</summary>
    public async Task<Dictionary<string, string>> ExportStatusesAsync(string run)
    {
        var file = Path.Combine(Path.GetDirectoryName(Database)!, $"export-{Guid.NewGuid():N}.jsonl");
        var (exitCode, _, error) = await RunAsync("export", "--run", run, "--format", "jsonl", "--out", file);
        Assert.True(exitCode == ExitCodes.Success, error);
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in await File.ReadAllLinesAsync(file))
        {
            var row = JsonDocument.Parse(line).RootElement;
            rows.Add(row.GetProperty("key").GetString()!, row.GetProperty("status").GetString()!);
        }

        return rows;
    }

    public async Task<long> ScalarAsync(string sql) =>
        (await QueryAsync(sql, r => Convert.ToInt64(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture))).Single();

    public async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> read)
    {
        await using var connection = new SqliteConnection($"Data Source={Database};Mode=ReadOnly;Pooling=False");
        return await SqlRows.ReadAsync(connection, sql, r => read((SqliteDataReader)r));
    }

    /// <summary>A folder of <paramref name="copies"/> copies of every sample photo, named <c>&lt;copy&gt;-&lt;photo&gt;</c>; returns its path.</summary>
    public static string CopyPhotos(string folder, int copies)
    {
        Directory.CreateDirectory(folder);
        for (var copy = 0; copy < copies; copy++)
        {
            foreach (var (name, path) in SamplePhotos())
            {
                File.Copy(path, Path.Combine(folder, $"{copy:D2}-{name}"));
            }
        }

        return folder;
    }

    /// <summary>The sample photos (not their licence file), as (name, path).</summary>
    public static IReadOnlyList<(string Name, string Path)> SamplePhotos() =>
        Directory.EnumerateFiles(TestPaths.SamplePhotos)
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), f))
            .ToList();
}
