using System.Net.Http.Headers;
using System.Text;
using Azure.Storage.Blobs;
using Npgsql;

namespace EfficientNet.Batch.IntegrationTests.Distributed;

/// <summary>
/// An isolated slice of the real services for one test: its own PostgreSQL database, RabbitMQ virtual host and
/// Azurite container, so no test sees another's queue, rows or blobs. Child processes get it through the same
/// environment variables operators use (ConnectionStrings__*).
/// </summary>
public sealed class DistributedStack : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);
    private readonly List<ChildProcess> _processes = [];
    private readonly string _databaseName = $"enb_it_{Guid.NewGuid():N}";
    private readonly string _vhost = $"enb-it-{Guid.NewGuid():N}";

    private DistributedStack(string container) => Container = container;

    public string Container { get; }

    public string PostgresConnectionString { get; private set; } = "";

    public string RabbitMqConnectionString { get; private set; } = "";

    public BlobContainerClient Blobs { get; private set; } = null!;

    public Dictionary<string, string> Environment { get; } = [];

    public static async Task<DistributedStack> CreateAsync()
    {
        var stack = new DistributedStack($"it-{Guid.NewGuid():N}");
        await stack.CreateDatabaseAsync();
        await stack.CreateVirtualHostAsync();
        stack.Blobs = new BlobServiceClient(ServiceEnvironment.Blob).GetBlobContainerClient(stack.Container);
        await stack.Blobs.CreateAsync();
        stack.Environment["ConnectionStrings__Postgres"] = stack.PostgresConnectionString;
        stack.Environment["ConnectionStrings__RabbitMq"] = stack.RabbitMqConnectionString;
        stack.Environment["ConnectionStrings__Blob"] = ServiceEnvironment.Blob;
        stack.Environment["Logging__Json"] = "false";
        stack.Environment["Bus__StartTimeoutSeconds"] = "20";
        // Small machines run several workers side by side: one decode thread and one ORT thread each.
        stack.Environment["Inference__IntraOpThreads"] = "1";
        stack.Environment["Pipeline__DecodeParallelism"] = "1";
        stack.Environment["Pipeline__LeaseRenewalSeconds"] = "2";
        return stack;
    }

    public ChildProcess StartWorker(params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>(Environment);
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var worker = ChildProcess.Start("EfficientNet.Batch.Worker", environment);
        _processes.Add(worker);
        return worker;
    }

    public ChildProcess StartScheduler(params string[] args)
    {
        var process = ChildProcess.Start("enb", Environment, args);
        _processes.Add(process);
        return process;
    }

    /// <summary>Runs an <c>enb</c> command as its own process, as a user would.</summary>
    public Task<(int ExitCode, string Output)> EnbAsync(params string[] args) => ChildProcess.RunAsync("enb", Environment, CommandTimeout, args);

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    public async Task UploadAsync(string blobName, byte[] content) =>
        await Blobs.UploadBlobAsync(blobName, new BinaryData(content));

    private async Task CreateDatabaseAsync()
    {
        await using (var admin = new NpgsqlConnection(ServiceEnvironment.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_databaseName}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        PostgresConnectionString = new NpgsqlConnectionStringBuilder(ServiceEnvironment.Postgres) { Database = _databaseName }.ConnectionString;
    }

    private async Task CreateVirtualHostAsync()
    {
        using var http = ManagementClient(out var user);
        (await http.PutAsync($"api/vhosts/{_vhost}", new StringContent("{}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await http.PutAsync($"api/permissions/{_vhost}/{user}", permissions)).EnsureSuccessStatusCode();
        var amqp = new UriBuilder(ServiceEnvironment.RabbitMq) { Path = "/" + _vhost };
        RabbitMqConnectionString = amqp.Uri.ToString();
    }

    public string VirtualHost => _vhost;

    /// <summary>Depths of this test's queues from the broker node (about 1 s behind at most, not the management API's ~10 s).</summary>
    public Task<IReadOnlyDictionary<string, long>> QueueDepthsAsync() => RabbitMqQueues.DepthsAsync(_vhost);

    private static HttpClient ManagementClient(out string user)
    {
        var uri = new Uri(ServiceEnvironment.RabbitMqManagement);
        var credentials = Uri.UnescapeDataString(uri.UserInfo);
        user = credentials.Split(':')[0];
        var http = new HttpClient { BaseAddress = new Uri($"{uri.Scheme}://{uri.Host}:{uri.Port}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        try
        {
            await Blobs.DeleteIfExistsAsync();
            using (var http = ManagementClient(out _))
            {
                await http.DeleteAsync($"api/vhosts/{_vhost}");
            }

            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(ServiceEnvironment.Postgres);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_databaseName}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or HttpRequestException or Azure.RequestFailedException)
        {
            // Cleanup is best effort: the names are unique, so leftovers never affect another test.
        }
    }
}
