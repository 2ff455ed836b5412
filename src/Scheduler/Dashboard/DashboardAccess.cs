using System.Net;

namespace EfficientNet.Batch.Scheduler.Dashboard;

/// <summary>
/// Who may read the API. Bound to loopback only (the default), reads are open: whoever can reach the port is on the
/// machine. Bound to any other address, reads need the API key as actions do, and the service refuses to start
/// without one. /metrics and /health stay open for Prometheus and Kubernetes probes.
/// </summary>
public sealed record DashboardAccess(bool ReadsRequireKey)
{
    public static DashboardAccess For(string urls) => new(!urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(IsLoopback));

    public static bool IsLoopback(string url)
    {
        // Kestrel's wildcards ("*", "+") are not valid URI hosts: they, and anything unparseable, are not loopback.
        if (!Uri.TryCreate(url.Replace("://*", "://wildcard.invalid", StringComparison.Ordinal).Replace("://+", "://wildcard.invalid", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return false;
        }

        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }
}
