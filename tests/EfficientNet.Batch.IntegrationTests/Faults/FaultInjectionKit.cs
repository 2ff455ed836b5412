using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EfficientNet.Batch.IntegrationTests.Distributed;

namespace EfficientNet.Batch.IntegrationTests.Faults;

/// <summary>
/// The machine's own services, driven the way an operator (or a crash) would: scripts/services.sh restarts a
/// service and returns once it is ready again. These are shared by every test on the machine, which is why the
/// fault tests run in the serialized <see cref="DistributedCollection"/>.
/// </summary>
internal static class LocalServices
{
    public static string Script =>
        Environment.GetEnvironmentVariable("ENB_SERVICES_SH") is { Length: > 0 } path
            ? path
            : Path.Combine(TestPaths.RepoRoot, "scripts", "services.sh");

    /// <summary>The server log of this state dir's PostgreSQL (where scripts/services.sh puts its data: see pg_choose_dir there).</summary>
    public static string PostgresLog
    {
        get
        {
            var state = ServiceEnvironment.ServicesDir;
            var moved = Path.Combine(state, "postgres.path");
            var pgDir = File.Exists(moved) && File.ReadAllText(moved).Trim() is { Length: > 0 } path ? path : Path.Combine(state, "postgres");
            return Path.Combine(pgDir, "postgres.log");
        }
    }

    /// <summary>Runs <c>scripts/services.sh args</c> to its end; fails the test with its output when it does not succeed.</summary>
    public static async Task<(string Output, TimeSpan Elapsed)> RunAsync(TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Script);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"services.sh {string.Join(' ', args)} did not finish within {timeout}");
        }

        var output = (await stdout) + (await stderr);
        Assert.True(process.ExitCode == 0, $"services.sh {string.Join(' ', args)} exited with {process.ExitCode}:\n{output}");
        return (output.Trim(), clock.Elapsed);
    }
}

/// <summary>POSIX signals to a child process: SIGSTOP freezes it with its sockets open (a hung worker), SIGCONT resumes it.</summary>
internal static class Signals
{
    public static void Send(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} exited with {kill.ExitCode}");
        }
    }

    public static void Stop(ChildProcess process) => Send(process.Id, "STOP");

    /// <summary>Resumes a stopped process; harmless when it already runs or has exited.</summary>
    public static void Continue(ChildProcess process)
    {
        if (!process.HasExited)
        {
            try
            {
                Send(process.Id, "CONT");
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }
        }
    }
}

/// <summary>
/// The RabbitMQ management HTTP API on one test's virtual host: publishes arbitrary bytes (messages no MassTransit
/// client would send), peeks at dead-lettered messages and counts connections. Its queue depths lag by seconds: exact
/// depths come from <see cref="RabbitMqQueues"/>.
/// </summary>
internal sealed class BrokerManagement : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _vhost;

    public BrokerManagement(DistributedStack stack)
    {
        _vhost = Uri.EscapeDataString(Uri.UnescapeDataString(new Uri(stack.RabbitMqConnectionString).AbsolutePath.TrimStart('/')));
        var uri = new Uri(ServiceEnvironment.RabbitMqManagement);
        var credentials = Uri.UnescapeDataString(uri.UserInfo);
        _http = new HttpClient { BaseAddress = new Uri($"{uri.Scheme}://{uri.Host}:{uri.Port}/"), Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
    }

    /// <summary>Publishes one message to the default exchange (so straight to <paramref name="queue"/>); true when the broker routed it.</summary>
    public async Task<bool> PublishToQueueAsync(string queue, byte[] payload, IReadOnlyDictionary<string, object>? properties = null)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["properties"] = properties ?? new Dictionary<string, object>(),
            ["routing_key"] = queue,
            ["payload"] = Convert.ToBase64String(payload),
            ["payload_encoding"] = "base64",
        });
        using var response = await _http.PostAsync(
            $"api/exchanges/{_vhost}/amq.default/publish", new StringContent(body, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("routed").GetBoolean();
    }

    /// <summary>
    /// Reads up to <paramref name="count"/> messages of a queue and puts them back (requeue): the headers MassTransit
    /// adds when it dead-letters a message (MT-Reason, MT-Fault-ExceptionType, MT-Fault-Message), one line each.
    /// </summary>
    public async Task<List<string>> PeekFaultsAsync(string queue, int count)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["count"] = count,
            ["ackmode"] = "ack_requeue_true",
            ["encoding"] = "auto",
            ["truncate"] = 200,
        });
        using var response = await _http.PostAsync(
            $"api/queues/{_vhost}/{Uri.EscapeDataString(queue)}/get", new StringContent(body, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.EnumerateArray().Select(message =>
        {
            var headers = message.GetProperty("properties").TryGetProperty("headers", out var h) ? h : default;
            string Header(string name) =>
                headers.ValueKind == JsonValueKind.Object && headers.TryGetProperty(name, out var value) ? value.ToString() : "-";
            return $"MT-Reason={Header("MT-Reason")}, MT-Fault-ExceptionType={Header("MT-Fault-ExceptionType")}, MT-Fault-Message={Header("MT-Fault-Message")}";
        }).ToList();
    }

    /// <summary>The names of the queues of this virtual host.</summary>
    public async Task<List<string>> QueuesAsync()
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync($"api/queues/{_vhost}"));
        return doc.RootElement.EnumerateArray().Select(q => q.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Open AMQP connections and channels in this virtual host (names of the client connections, for the report).</summary>
    public async Task<(int Connections, int Channels)> ConnectionsAndChannelsAsync()
    {
        using var connections = JsonDocument.Parse(await _http.GetStringAsync($"api/vhosts/{_vhost}/connections"));
        using var channels = JsonDocument.Parse(await _http.GetStringAsync($"api/vhosts/{_vhost}/channels"));
        return (connections.RootElement.GetArrayLength(), channels.RootElement.GetArrayLength());
    }

    public void Dispose() => _http.Dispose();
}
