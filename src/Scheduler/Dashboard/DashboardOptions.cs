using System.ComponentModel.DataAnnotations;

namespace EfficientNet.Batch.Scheduler.Dashboard;

/// <summary>The dashboard and its API. Section "Dashboard", validated on start.</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "Dashboard";

    /// <summary>
    /// The key that actions (cancel, retry-failed) require in the X-Api-Key header; the chart sets it from a Secret
    /// (Dashboard__ApiKey). Without it, actions answer 403 and the dashboard is read-only. Letters, digits, '-', '.'
    /// and '_' only (the chart's rule too): HTTP trims a header's surrounding whitespace, so a key read from a file
    /// with its trailing newline would never match.
    /// </summary>
    [RegularExpression("^[-._a-zA-Z0-9]+$", ErrorMessage = "Dashboard:ApiKey (env Dashboard__ApiKey) may hold only letters, digits, '-', '.' and '_'; check for a trailing newline or spaces")]
    public string? ApiKey { get; set; }
}
