namespace EfficientNet.Batch.Scheduler.Dashboard;

/// <summary>The dashboard and its API. Section "Dashboard".</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "Dashboard";

    /// <summary>
    /// The key that actions (cancel, retry-failed) require in the X-Api-Key header; the chart sets it from a Secret
    /// (Dashboard__ApiKey). Without it, actions answer 403 and the dashboard is read-only.
    /// </summary>
    public string? ApiKey { get; set; }
}
