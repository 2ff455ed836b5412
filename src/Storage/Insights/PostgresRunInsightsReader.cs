using System.Data.Common;
using Npgsql;

namespace EfficientNet.Batch.Storage.Insights;

/// <summary>Run insights from PostgreSQL, where the top-k columns are arrays (1-based).</summary>
public sealed class PostgresRunInsightsReader(NpgsqlDataSource dataSource) : RunInsightsReader
{
    protected override string TopProbability => "p.top_probabilities[1]";

    protected override string TopClass => "p.top_indices[1]";

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    protected override void AddRunParameter(DbCommand command, Guid runId) =>
        ((NpgsqlCommand)command).Parameters.Add(new NpgsqlParameter<Guid>("run", runId));

    protected override string EpochSeconds(string column) => $"EXTRACT(EPOCH FROM {column})::float8";

    protected override string Truncate(string expression) => $"FLOOR({expression})::bigint";
}
