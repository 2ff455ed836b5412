using System.Text.RegularExpressions;

namespace EfficientNet.Batch.IntegrationTests.Reliability;

/// <summary>
/// All SQL the product sends is parameterized: an audit of the source for interpolated strings that build SQL. The
/// only ones allowed interpolate no value from outside: a compile-time constant (the migration lock id), role and
/// database identifiers, which SQL cannot take as parameters and which <c>WorkerRoleGrants</c> validates and quotes,
/// and provider-specific SQL expressions chosen in code (the insights and pseudo-label dialects).
/// </summary>
[Trait("Category", "Reliability")]
public sealed partial class SqlParameterizationTests
{
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        ["src/Storage/Runs/PostgresRunStore.cs"] = "pg_advisory_lock({MigrationLock}): a const",
        ["src/Storage/Database/Postgres/WorkerRoleGrants.cs"] = "GRANT ... TO \"role\": identifiers matched against ^[a-z_][a-z0-9_]{0,62}$ and quoted",
        ["src/Storage/Insights/RunInsightsReader.cs"] = "provider-specific SQL expressions (epoch, truncation, first array element) and const limits; values are @parameters",
        ["src/Storage/PseudoLabels/PseudoLabelStore.cs"] = "the dialect's SQL expressions (top label, bucket, full-distribution column) and the selection hash's SQL; values are @parameters",
    };

    [Fact]
    public void No_source_file_builds_sql_by_interpolating_values()
    {
        var src = Path.Combine(TestPaths.RepoRoot, "src");
        var findings = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(file => InterpolatedSql().Matches(File.ReadAllText(file)).Select(m => (File: Path.GetRelativePath(TestPaths.RepoRoot, file), m.Value)))
            .ToList();

        var unexpected = findings.Where(f => !Allowed.ContainsKey(f.File)).ToList();
        Assert.True(unexpected.Count == 0, "interpolated SQL: " + string.Join("\n", unexpected.Select(f => $"{f.File}: {f.Value}")));
        Assert.All(Allowed.Keys, file => Assert.Contains(findings, f => f.File == file)); // the audit still sees what it allows
    }

    // $"SELECT ...", $@"...", $"""...""" whose text starts with an SQL verb.
    [GeneratedRegex(@"\$+@?""+\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|GRANT|REVOKE|COPY|TRUNCATE|WITH)\b[^\n]*", RegexOptions.IgnoreCase)]
    private static partial Regex InterpolatedSql();
}
