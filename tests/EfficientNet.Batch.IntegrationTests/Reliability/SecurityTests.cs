using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using EfficientNet.Batch.IntegrationTests.Distributed;
using EfficientNet.Batch.Scheduler.Cli;
using Npgsql;
using Xunit.Abstractions;

namespace EfficientNet.Batch.IntegrationTests.Reliability;

/// <summary>
/// Security promises on the real services: no credential (PostgreSQL and RabbitMQ passwords, the storage account key,
/// a SAS signature, wrong passwords given by mistake) appears in any log or error of a distributed run with debug
/// logging, successful or failing; and a worker runs end to end under a role holding only the grants of
/// <c>enb migrate --grant-worker</c>, which cannot change the schema or delete results.
/// </summary>
[Collection(DistributedCollection.Name)]
[Trait("Category", "Reliability")]
public sealed class SecurityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private DistributedStack _stack = null!;

    public async Task InitializeAsync()
    {
        _stack = await DistributedStack.CreateAsync();
        var (exitCode, text) = await _stack.EnbAsync("migrate");
        Assert.True(exitCode == 0, text);
    }

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task No_credential_appears_in_any_log_or_error_of_a_distributed_run()
    {
        foreach (var photo in Photos())
        {
            await _stack.UploadAsync($"photos/{Path.GetFileName(photo)}", await File.ReadAllBytesAsync(photo));
        }

        await _stack.UploadAsync("photos/broken.jpg", "<html>no</html>"u8.ToArray());
        var account = new BlobServiceClient(ServiceEnvironment.Blob);
        var sas = account.GenerateAccountSasUri(
            AccountSasPermissions.Read | AccountSasPermissions.List, DateTimeOffset.UtcNow.AddHours(1), AccountSasResourceTypes.All);
        var secrets = new Dictionary<string, string>
        {
            ["PostgreSQL password"] = new NpgsqlConnectionStringBuilder(_stack.PostgresConnectionString).Password!,
            ["RabbitMQ password"] = Uri.UnescapeDataString(new Uri(_stack.RabbitMqConnectionString).UserInfo.Split(':')[1]),
            ["storage account key"] = ServiceEnvironment.Blob.Split(';').Single(p => p.StartsWith("AccountKey=", StringComparison.Ordinal))["AccountKey=".Length..],
            ["SAS signature"] = Uri.UnescapeDataString(sas.Query.Split('&').Single(p => p.TrimStart('?').StartsWith("sig=", StringComparison.Ordinal)).Split('=', 2)[1]),
            ["wrong PostgreSQL password"] = "wrong-pg-S3cret",
            ["wrong RabbitMQ password"] = "wrong-mq-S3cret",
        };
        secrets["SAS signature (URL-encoded)"] = Uri.EscapeDataString(secrets["SAS signature"]);
        (string, string) debug = ("Serilog__MinimumLevel__Default", "Debug");

        // A run: one worker with the account key, one with a SAS URL, serve and the CLI, all at debug level.
        await using var keyWorker = _stack.StartWorker(debug);
        await using var sasWorker = _stack.StartWorker(debug, ("ConnectionStrings__Blob", sas.ToString()));
        await using var serve = _stack.StartScheduler("serve", "--urls", "http://127.0.0.1:0", "-v");
        await keyWorker.WaitForOutputAsync("Now listening on", Timeout);
        await sasWorker.WaitForOutputAsync("Now listening on", Timeout);
        var logs = new StringBuilder();
        var submit = await _stack.EnbAsync("submit", $"az://{_stack.Container}/photos", "--model", TestPaths.TestModel, "--shard-size", "2", "--error-budget", "0.5", "--run-name", "secrets", "--wait", "-v");
        Assert.True(submit.ExitCode == ExitCodes.Success, submit.Output);
        logs.Append(submit.Output);
        logs.Append((await _stack.EnbAsync("status", "secrets")).Output);
        logs.Append((await _stack.EnbAsync("export", "--run", "secrets", "--format", "jsonl", "--out", "-")).Output);
        Assert.Equal(2, await _stack.ScalarAsync("SELECT count(DISTINCT worker_id) FROM shards"));

        // Failing processes: wrong passwords, in every place they can be given.
        var badPostgres = new NpgsqlConnectionStringBuilder(_stack.PostgresConnectionString) { Password = secrets["wrong PostgreSQL password"] }.ConnectionString;
        var badRabbit = new UriBuilder(_stack.RabbitMqConnectionString) { Password = secrets["wrong RabbitMQ password"] }.Uri.ToString();
        await using var noDatabase = _stack.StartWorker(debug, ("ConnectionStrings__Postgres", badPostgres));
        await using var noBroker = _stack.StartWorker(debug, ("ConnectionStrings__RabbitMq", badRabbit), ("Bus__StartTimeoutSeconds", "5"));
        await noDatabase.WaitForExitAsync(Timeout);
        await noBroker.WaitForExitAsync(Timeout);
        Assert.Equal(ExitCodes.InvalidInput, noDatabase.ExitCode);
        Assert.Equal(ExitCodes.InvalidInput, noBroker.ExitCode);
        var badSubmit = await _stack.EnbAsync("submit", $"az://{_stack.Container}/photos", "--model", TestPaths.TestModel, "--postgres", badPostgres);
        Assert.Equal(ExitCodes.InvalidInput, badSubmit.ExitCode);
        var badStatus = await _stack.EnbAsync("status", "--postgres", $"Host=127.0.0.1;Port=1;Username=enb;Password={secrets["wrong PostgreSQL password"]}");
        Assert.Equal(ExitCodes.InvalidInput, badStatus.ExitCode);

        foreach (var process in new[] { keyWorker, sasWorker, serve, noDatabase, noBroker })
        {
            logs.Append(process.Output);
        }

        logs.Append(badSubmit.Output).Append(badStatus.Output);
        var text = logs.ToString();
        Assert.Contains("committed", text, StringComparison.Ordinal);            // the run was logged
        Assert.Contains("password authentication failed", text, StringComparison.Ordinal); // so were the failures
        var leaks = secrets.Where(s => text.Contains(s.Value, StringComparison.Ordinal)).Select(s => s.Key).ToList();
        Assert.True(leaks.Count == 0, $"found in the logs: {string.Join(", ", leaks)}");
        output.WriteLine($"VERIFIED: {text.Length:N0} characters ({text.Split('\n').Length:N0} lines) of logs and errors from 2 workers (account key and SAS), serve, "
            + $"submit/status/export, 2 workers refused at start and 2 commands with wrong passwords: none of {secrets.Count} secrets ({string.Join(", ", secrets.Keys)}) appears; "
            + $"{CountOf(text, "***")} masked value(s)");
    }

    [Fact]
    public async Task A_worker_runs_end_to_end_under_a_role_holding_only_the_worker_grants()
    {
        var role = $"enb_worker_{Guid.NewGuid():N}"[..24];
        var password = $"pw-{Guid.NewGuid():N}";
        await ExecuteAsync(ServiceEnvironment.Postgres, $"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'");
        try
        {
            var (exitCode, text) = await _stack.EnbAsync("migrate", "--grant-worker", role);
            Assert.True(exitCode == ExitCodes.Success, text);
            output.WriteLine($"enb migrate --grant-worker {role}:\n{text.Trim()}");
            var restricted = new NpgsqlConnectionStringBuilder(_stack.PostgresConnectionString) { Username = role, Password = password, Pooling = false }.ConnectionString;

            using var folder = new TempDirectory("enb-role");
            foreach (var photo in Photos())
            {
                File.Copy(photo, folder.File(Path.GetFileName(photo)));
            }

            await File.WriteAllTextAsync(folder.File("page.jpg"), "<html>no</html>");
            await using var worker = _stack.StartWorker(("ConnectionStrings__Postgres", restricted));
            await worker.WaitForOutputAsync("Now listening on", Timeout);
            var submit = await _stack.EnbAsync("submit", folder.Path, "--model", TestPaths.TestModel, "--shard-size", "2", "--error-budget", "0.5", "--wait");
            Assert.True(submit.ExitCode == ExitCodes.Success, $"{submit.Output}\n{worker.Output}");
            Assert.Equal(Photos().Count(), await _stack.ScalarAsync("SELECT count(*) FROM predictions"));
            Assert.Equal(1, await _stack.ScalarAsync("SELECT count(*) FROM failures"));
            Assert.DoesNotContain("permission denied", worker.Output, StringComparison.Ordinal);

            // What the role must not do.
            string[] forbidden =
            [
                "DELETE FROM predictions", "TRUNCATE failures", "UPDATE runs SET status = 'failed'", "INSERT INTO images SELECT * FROM images",
                "DROP TABLE predictions", "CREATE TABLE evil (id int)", "ALTER TABLE shards ADD COLUMN evil int", "DELETE FROM shards",
            ];
            foreach (var sql in forbidden)
            {
                var e = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(restricted, sql));
                Assert.True(e.SqlState is PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {e.SqlState} {e.MessageText}");
            }

            output.WriteLine($"VERIFIED: a worker as {role} labeled {Photos().Count()} images and recorded 1 failure; the role was refused (42501) for: {string.Join("; ", forbidden)}");
        }
        finally
        {
            await _stack.DisposeAsync(); // drops the database, and with it the role's grants there
            await ExecuteAsync(ServiceEnvironment.Postgres, $"DROP ROLE IF EXISTS \"{role}\"");
        }
    }

    private static IEnumerable<string> Photos() =>
        Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
