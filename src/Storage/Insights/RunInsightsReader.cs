using System.Data.Common;
using System.Globalization;

namespace EfficientNet.Batch.Storage.Insights;

/// <summary>
/// The provider-neutral SQL of <see cref="IRunInsightsReader"/>: every query groups in the database and returns at
/// most a few hundred rows, whatever the run's size. A provider supplies the connection, the run id parameter, and
/// the expressions its schema needs (timestamps as Unix seconds, the first element of the top-k arrays).
/// </summary>
public abstract class RunInsightsReader : IRunInsightsReader
{
    private const int FailureGroupsShown = 20;
    private const int ExampleKeysPerFailure = 3;
    private const int TopClassesShown = 15;

    /// <summary>About this many throughput buckets over the run's span; the bucket width is rounded to whole seconds.</summary>
    private const int ThroughputBuckets = 60;

    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Binds the run id as <c>@run</c>, in the form the provider stored it.</summary>
    protected abstract void AddRunParameter(DbCommand command, Guid runId);

    /// <summary>SQL for a timestamp column as Unix seconds (double).</summary>
    protected abstract string EpochSeconds(string column);

    /// <summary>SQL that truncates a non-negative number to an integer (a plain CAST rounds on PostgreSQL).</summary>
    protected abstract string Truncate(string expression);

    /// <summary>SQL for the top-1 probability of a prediction row <c>p</c>.</summary>
    protected abstract string TopProbability { get; }

    /// <summary>SQL for the top-1 class index of a prediction row <c>p</c>.</summary>
    protected abstract string TopClass { get; }

    public async Task<RunInsights> ReadAsync(Guid runId, IReadOnlyList<string>? classNames, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var states = await QueryAsync(connection, runId,
            "SELECT status, COUNT(*), COALESCE(SUM(image_count), 0) FROM shards WHERE run_id = @run GROUP BY status ORDER BY status",
            r => new ShardStateCount(r.GetString(0), Convert.ToInt32(r.GetValue(1), CultureInfo.InvariantCulture), Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture)),
            cancellationToken);

        var (bucketSeconds, throughput) = await ReadThroughputAsync(connection, runId, cancellationToken);

        var workers = await ReadWorkersAsync(connection, runId, cancellationToken);

        // A failure row of an image that later got a prediction (a re-published shard) is not a failure.
        var failureRows = await QueryAsync(connection, runId,
            $"""
            SELECT stage, reason, n, key FROM (
                SELECT f.stage, f.reason, i.key,
                       COUNT(*) OVER (PARTITION BY f.stage, f.reason) AS n,
                       ROW_NUMBER() OVER (PARTITION BY f.stage, f.reason ORDER BY i.key) AS rn
                FROM failures f JOIN images i ON i.id = f.image_id
                WHERE f.run_id = @run
                  AND NOT EXISTS (SELECT 1 FROM predictions p WHERE p.run_id = f.run_id AND p.image_id = f.image_id)
            ) ranked
            WHERE rn <= {ExampleKeysPerFailure}
            ORDER BY n DESC, stage, reason, key
            """,
            r => (Stage: r.GetString(0), Reason: r.GetString(1), Count: Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture), Key: r.GetString(3)),
            cancellationToken);
        var failures = failureRows
            .GroupBy(f => (f.Stage, f.Reason, f.Count))
            .Take(FailureGroupsShown)
            .Select(g => new FailureGroup(g.Key.Stage, g.Key.Reason, g.Key.Count, g.Select(f => f.Key).ToArray()))
            .ToArray();

        var histogram = new long[RunInsights.ConfidenceBins];
        var bins = await QueryAsync(connection, runId,
            $"""
            SELECT bin, COUNT(*) FROM (
                SELECT {Truncate($"{TopProbability} * {RunInsights.ConfidenceBins}")} AS bin FROM predictions p WHERE p.run_id = @run
            ) b
            GROUP BY bin
            """,
            r => (Bin: Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture), Count: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture)),
            cancellationToken);
        foreach (var (bin, count) in bins)
        {
            // A probability of exactly 1.0 belongs to the last bin.
            histogram[Math.Clamp(bin, 0, RunInsights.ConfidenceBins - 1)] += count;
        }

        var topClasses = await QueryAsync(connection, runId,
            $"""
            SELECT c, COUNT(*) FROM (SELECT {TopClass} AS c FROM predictions p WHERE p.run_id = @run) t
            GROUP BY c ORDER BY 2 DESC, 1 LIMIT {TopClassesShown}
            """,
            r =>
            {
                var index = Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture);
                var label = classNames is not null && index >= 0 && index < classNames.Count ? classNames[index] : null;
                return new ClassCount(index, label, Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture));
            },
            cancellationToken);

        return new RunInsights(runId, states, bucketSeconds, throughput, workers, failures, histogram, topClasses);
    }

    public async Task<IReadOnlyList<WorkerActivity>> ReadWorkersAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadWorkersAsync(connection, runId, cancellationToken);
    }

    private Task<List<WorkerActivity>> ReadWorkersAsync(DbConnection connection, Guid runId, CancellationToken cancellationToken) =>
        QueryAsync(connection, runId,
            $"""
            SELECT worker_id,
                   SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END),
                   SUM(CASE WHEN status = 'completed' THEN ok_count + failed_count ELSE 0 END),
                   MIN({EpochSeconds("leased_at")}),
                   MAX({EpochSeconds("completed_at")})
            FROM shards WHERE run_id = @run AND worker_id IS NOT NULL
            GROUP BY worker_id ORDER BY worker_id
            """,
            r => new WorkerActivity(
                r.GetString(0),
                Convert.ToInt32(r.GetValue(1), CultureInfo.InvariantCulture),
                Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture),
                Convert.ToInt64(r.GetValue(3), CultureInfo.InvariantCulture),
                FromEpoch(r, 4),
                FromEpoch(r, 5)),
            cancellationToken);

    private async Task<(int BucketSeconds, IReadOnlyList<ThroughputPoint> Points)> ReadThroughputAsync(
        DbConnection connection, Guid runId, CancellationToken cancellationToken)
    {
        var completed = $"FROM shards WHERE run_id = @run AND status = 'completed' AND completed_at IS NOT NULL";
        var span = (await QueryAsync(connection, runId,
            $"SELECT MIN({EpochSeconds("completed_at")}), MAX({EpochSeconds("completed_at")}) {completed}",
            r => (First: r.IsDBNull(0) ? (double?)null : r.GetDouble(0), Last: r.IsDBNull(1) ? (double?)null : r.GetDouble(1)),
            cancellationToken))[0];
        if (span.First is not { } first || span.Last is not { } last)
        {
            return (1, []);
        }

        var bucketSeconds = (int)Math.Max(1, Math.Ceiling((last - first) / ThroughputBuckets));
        var rows = await QueryAsync(connection, runId,
            $"""
            SELECT bucket, SUM(images) FROM (
                SELECT {Truncate($"({EpochSeconds("completed_at")} - @first) / @bucket")} AS bucket,
                       ok_count + failed_count AS images
                {completed}
            ) b
            GROUP BY bucket ORDER BY bucket
            """,
            r => (Bucket: Convert.ToInt64(r.GetValue(0), CultureInfo.InvariantCulture), Images: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture)),
            cancellationToken,
            ("first", first),
            ("bucket", (double)bucketSeconds));

        // Empty buckets are real (nothing finished then): fill them, so the chart shows stalls as zeros.
        var start = DateTimeOffset.FromUnixTimeMilliseconds((long)(first * 1000));
        var byBucket = rows.ToDictionary(r => r.Bucket, r => r.Images);
        var count = rows.Count == 0 ? 0 : rows[^1].Bucket + 1;
        var points = new ThroughputPoint[count];
        for (var i = 0L; i < count; i++)
        {
            points[i] = new ThroughputPoint(start.AddSeconds(i * bucketSeconds), byBucket.GetValueOrDefault(i));
        }

        return (bucketSeconds, points);
    }

    private static DateTimeOffset? FromEpoch(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)(reader.GetDouble(ordinal) * 1000));

    private async Task<List<T>> QueryAsync<T>(
        DbConnection connection, Guid runId, string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken,
        params (string Name, double Value)[] numbers)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        AddRunParameter(command, runId);
        foreach (var (name, value) in numbers)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
