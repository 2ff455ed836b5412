using System.Data.Common;
using System.Runtime.CompilerServices;
using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.Storage.PseudoLabels;

/// <summary>
/// <see cref="IPseudoLabelStore"/> in plain SQL shared by SQLite and PostgreSQL (the differences are in
/// <see cref="PseudoLabelDialect"/>). The selection never brings predictions into this process: one GROUP BY gives
/// image counts per (class, confidence bucket), at most 101 per class; the thresholds are derived from those here
/// (<see cref="NoisyStudentSelector"/>) and written as the set's class rows; one INSERT ... SELECT then writes the
/// selected images with their copies, the stochastic rounding done in SQL by <see cref="SelectionHash"/>.
/// </summary>
public sealed class PseudoLabelStore(PseudoLabelDialect dialect, TimeProvider time) : IPseudoLabelStore
{
    private const string SetQuery =
        """
        SELECT s.id, s.name, s.teacher_run_id, r.name, s.teacher_model_id, s.teacher_model_name, s.teacher_model_sha256,
               s.parent_set_id, ps.name, s.generation, s.mode, s.temperature, s.per_class_target, s.min_confidence, s.seed,
               s.unique_images, s.total_samples, s.created_at,
               s.exclude_near_run, s.exclude_similarity, s.excluded_near, s.dedup_similarity, s.dedup_removed
        FROM pseudo_label_sets s
        JOIN runs r ON r.id = s.teacher_run_id
        LEFT JOIN pseudo_label_sets ps ON ps.id = s.parent_set_id
        """;

    private const string InsertSet =
        """
        INSERT INTO pseudo_label_sets (name, teacher_run_id, teacher_model_id, teacher_model_name, teacher_model_sha256, parent_set_id,
                                       generation, mode, temperature, per_class_target, min_confidence, seed, unique_images, total_samples, created_at,
                                       exclude_near_run, exclude_similarity, excluded_near, dedup_similarity, dedup_removed)
        VALUES (@name, @run, @model, @model_name, @model_sha256, @parent, @generation, @mode, @temperature, @target, @floor_confidence, @seed, 0, 0, @created,
                @exclude_near_run, @exclude_similarity, @excluded_near, @dedup_similarity, @dedup_removed)
        RETURNING id
        """;

    // 3 parameters per class: 500 classes stay far below SQLite's 32766 and PostgreSQL's 65535 parameters.
    private const int ClassesPerInsert = 500;

    private const string InsertClasses =
        "INSERT INTO pseudo_label_classes (set_id, class_index, threshold_bucket, candidates, selected, samples) VALUES ";

    // One pass over the set's rows (its primary key prefix) for every class at once.
    private const string CountClasses =
        """
        UPDATE pseudo_label_classes
        SET selected = a.selected, samples = a.samples
        FROM (SELECT label, COUNT(*) AS selected, SUM(copies) AS samples FROM pseudo_labels WHERE set_id = @set GROUP BY label) a
        WHERE pseudo_label_classes.set_id = @set AND pseudo_label_classes.class_index = a.label
        """;

    private const string CountSet =
        """
        UPDATE pseudo_label_sets
        SET unique_images = (SELECT COALESCE(SUM(selected), 0) FROM pseudo_label_classes WHERE set_id = @set),
            total_samples = (SELECT COALESCE(SUM(samples), 0) FROM pseudo_label_classes WHERE set_id = @set)
        WHERE id = @set
        """;

    private const string ExclusionTable = "enb_selection_exclusions";

    private static readonly string Completed = EnumText.Of(RunStatus.Completed);

    public async Task<PseudoLabelSetInfo> SelectAsync(SelectionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        var floor = ConfidenceBuckets.FloorOf(request.MinConfidence);

        await using var connection = await dialect.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var teacher = await ReadTeacherAsync(connection, transaction, request.TeacherRunId, cancellationToken);
        await EnsureNameFreeAsync(connection, transaction, request.Name, cancellationToken);
        var generation = request.ParentSetId is { } parent
            ? await ReadGenerationAsync(connection, transaction, parent, cancellationToken) + 1
            : 1;

        await FillExclusionsAsync(connection, transaction, request.Exclusions, cancellationToken);
        var selections = await ThresholdsAsync(connection, transaction, request, floor, cancellationToken);

        long setId;
        try
        {
            setId = (long)(await ScalarAsync(connection, transaction, InsertSet, cancellationToken,
                ("name", request.Name),
                ("run", dialect.RunId(request.TeacherRunId)),
                ("model", teacher.ModelId),
                ("model_name", teacher.ModelName),
                ("model_sha256", teacher.ModelSha256),
                ("parent", request.ParentSetId),
                ("generation", generation),
                ("mode", EnumText.Of(request.Mode)),
                ("temperature", request.Temperature),
                ("target", request.PerClassTarget),
                ("floor_confidence", request.MinConfidence),
                ("seed", request.Seed),
                ("created", time.GetUtcNow().UtcDateTime),
                ("exclude_near_run", request.Exclusions.ExcludeNearRun),
                ("exclude_similarity", request.Exclusions.ExcludeSimilarity),
                ("excluded_near", (long)request.Exclusions.NearIds.Count),
                ("dedup_similarity", request.Exclusions.DedupSimilarity),
                ("dedup_removed", request.Exclusions.DedupRemoved)))!;
        }
        catch (DbException e) when (dialect.IsUniqueViolation(e))
        {
            throw new PseudoLabelSetExistsException(request.Name);
        }

        await InsertClassesAsync(connection, transaction, setId, selections, cancellationToken);
        await ExecuteAsync(connection, transaction, InsertLabelsSql(), cancellationToken,
            ("set", setId), ("run", dialect.RunId(request.TeacherRunId)), ("target", request.PerClassTarget),
            ("seed", SelectionHash.SeedTerm(request.Seed)));
        await ExecuteAsync(connection, transaction, CountClasses, cancellationToken, ("set", setId));
        await ExecuteAsync(connection, transaction, CountSet, cancellationToken, ("set", setId));
        await transaction.CommitAsync(cancellationToken);
        return (await ReadSetsAsync(connection, SetQuery + " WHERE s.id = @id", cancellationToken, ("id", setId))).Single();
    }

    public async Task<IReadOnlyList<PseudoLabelSetInfo>> ListSetsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        return await ReadSetsAsync(connection, SetQuery + " ORDER BY s.created_at DESC, s.id DESC", cancellationToken);
    }

    public async Task<PseudoLabelSetInfo?> FindSetAsync(string nameOrId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrId);
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var byName = await ReadSetsAsync(connection, SetQuery + " WHERE s.name = @name", cancellationToken, ("name", nameOrId));
        if (byName.Count > 0 || !long.TryParse(nameOrId, out var id))
        {
            return byName.SingleOrDefault();
        }

        return (await ReadSetsAsync(connection, SetQuery + " WHERE s.id = @id", cancellationToken, ("id", id))).SingleOrDefault();
    }

    public async Task<IReadOnlyList<PseudoLabelClassInfo>> GetClassesAsync(long setId, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            "SELECT class_index, threshold_bucket, candidates, selected, samples FROM pseudo_label_classes WHERE set_id = @set ORDER BY class_index",
            ("set", setId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var classes = new List<PseudoLabelClassInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            classes.Add(new PseudoLabelClassInfo(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return classes;
    }

    public async IAsyncEnumerable<PseudoLabelRow> ReadLabelsAsync(
        long setId, bool withFullDistribution, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var full = withFullDistribution ? "p.full_probabilities" : "NULL";
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT l.image_id, i.source, i.key, l.label, l.confidence, l.copies, p.top_indices, p.top_probabilities, {full}
            FROM pseudo_labels l
            JOIN pseudo_label_sets s ON s.id = l.set_id
            JOIN images i ON i.id = l.image_id
            JOIN predictions p ON p.run_id = s.teacher_run_id AND p.image_id = l.image_id
            WHERE l.set_id = @set
            ORDER BY l.image_id
            """,
            ("set", setId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new PseudoLabelRow(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt32(3),
                reader.GetFloat(4),
                reader.GetInt32(5),
                dialect.ReadInts(reader, 6),
                dialect.ReadFloats(reader, 7),
                reader.IsDBNull(8) ? null : Float16Blob.ToFloats(reader.GetFieldValue<byte[]>(8)));
        }
    }

    public async IAsyncEnumerable<string> ReadKeysAsync(long setId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        await using var command = Command(
            connection,
            null,
            "SELECT i.key FROM pseudo_labels l JOIN images i ON i.id = l.image_id WHERE l.set_id = @set ORDER BY l.image_id",
            ("set", setId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return reader.GetString(0);
        }
    }

    public async Task<SetComparison> CompareAsync(long firstSetId, long secondSetId, CancellationToken cancellationToken)
    {
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var first = await ReadSetsAsync(connection, SetQuery + " WHERE s.id = @id", cancellationToken, ("id", firstSetId));
        var second = await ReadSetsAsync(connection, SetQuery + " WHERE s.id = @id", cancellationToken, ("id", secondSetId));
        if (first.Count == 0 || second.Count == 0)
        {
            throw new ArgumentException($"no pseudo-label set with id {(first.Count == 0 ? firstSetId : secondSetId)}");
        }

        var perClass = await AgreementAsync(
            connection,
            """
            SELECT a.label, COUNT(*), SUM(CASE WHEN a.label = b.label THEN 1 ELSE 0 END)
            FROM pseudo_labels a JOIN pseudo_labels b ON b.set_id = @second AND b.image_id = a.image_id
            WHERE a.set_id = @first
            GROUP BY a.label
            ORDER BY a.label
            """,
            ("first", firstSetId),
            ("second", secondSetId),
            cancellationToken);
        return Comparison(first[0].Name, second[0].Name, first[0].UniqueImages, second[0].UniqueImages, perClass);
    }

    public async Task<SetComparison> CompareRunsAsync(RunInfo first, RunInfo second, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        await using var connection = await dialect.OpenAsync(cancellationToken);
        var perClass = await AgreementAsync(
            connection,
            $"""
            SELECT t.label, COUNT(*), SUM(CASE WHEN t.label = t.other THEN 1 ELSE 0 END)
            FROM (SELECT {dialect.TopLabelOf("a")} AS label, {dialect.TopLabelOf("b")} AS other
                  FROM predictions a JOIN predictions b ON b.run_id = @second AND b.image_id = a.image_id
                  WHERE a.run_id = @first) t
            GROUP BY t.label
            ORDER BY t.label
            """,
            ("first", dialect.RunId(first.Id)),
            ("second", dialect.RunId(second.Id)),
            cancellationToken);
        var counts = new long[2];
        foreach (var (run, i) in new[] { (first, 0), (second, 1) })
        {
            counts[i] = Convert.ToInt64(
                await ScalarAsync(connection, null, "SELECT COUNT(*) FROM predictions WHERE run_id = @run", cancellationToken, ("run", dialect.RunId(run.Id))),
                System.Globalization.CultureInfo.InvariantCulture);
        }

        return Comparison(first.Name, second.Name, counts[0], counts[1], perClass);
    }

    private static async Task<List<ClassAgreement>> AgreementAsync(
        DbConnection connection, string sql, (string, object?) first, (string, object?) second, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, sql, first, second);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var perClass = new List<ClassAgreement>();
        while (await reader.ReadAsync(cancellationToken))
        {
            perClass.Add(new ClassAgreement(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return perClass;
    }

    private static SetComparison Comparison(string first, string second, long firstCount, long secondCount, List<ClassAgreement> perClass)
    {
        var inBoth = perClass.Sum(c => c.InBoth);
        return new SetComparison(first, second, firstCount - inBoth, secondCount - inBoth, inBoth, perClass.Sum(c => c.Agreeing), perClass);
    }

    /// <summary>
    /// The selection: every prediction of the teacher run whose top-1 class has a threshold and whose bucket reaches
    /// it, written target/candidates times, stochastically rounded by the seeded hash; images rounded to 0 copies
    /// (over-full classes) are left out. Integer arithmetic only, so both databases decide every image alike.
    /// </summary>
    private string InsertLabelsSql() =>
        $"""
        INSERT INTO pseudo_labels (set_id, image_id, label, confidence, copies)
        SELECT @set, t.image_id, t.label, t.confidence, t.copies
        FROM (SELECT p.image_id, c.class_index AS label, {dialect.TopConfidence} AS confidence,
                     @target / c.candidates
                     + CASE WHEN ({SelectionHash.Sql("p.image_id", "@seed")}) * c.candidates < (@target % c.candidates) * {SelectionHash.Modulus}
                            THEN 1 ELSE 0 END AS copies
              FROM predictions p
              JOIN pseudo_label_classes c ON c.set_id = @set AND c.class_index = {dialect.TopLabel}
              WHERE p.run_id = @run AND {dialect.Bucket} >= c.threshold_bucket
                AND NOT EXISTS (SELECT 1 FROM {ExclusionTable} x WHERE x.image_id = p.image_id)) t
        WHERE t.copies > 0
        """;

    private async Task<List<ClassSelection>> ThresholdsAsync(
        DbConnection connection, DbTransaction transaction, SelectionRequest request, int floor, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            transaction,
            $"""
            SELECT t.label, t.bucket, COUNT(*)
            FROM (SELECT {dialect.TopLabel} AS label, {dialect.Bucket} AS bucket FROM predictions p
                  WHERE p.run_id = @run AND NOT EXISTS (SELECT 1 FROM {ExclusionTable} x WHERE x.image_id = p.image_id)) t
            WHERE t.bucket >= @floor
            GROUP BY t.label, t.bucket
            """,
            ("run", dialect.RunId(request.TeacherRunId)),
            ("floor", floor));
        var counts = new SortedDictionary<int, long[]>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var label = reader.GetInt32(0);
                if (!counts.TryGetValue(label, out var buckets))
                {
                    counts[label] = buckets = new long[ConfidenceBuckets.Top + 1];
                }

                buckets[Math.Min(reader.GetInt32(1), ConfidenceBuckets.Top)] += reader.GetInt64(2);
            }
        }

        return counts
            .Select(c => NoisyStudentSelector.Threshold(c.Key, c.Value, request.PerClassTarget, floor))
            .OfType<ClassSelection>()
            .ToList();
    }

    /// <summary>
    /// The images this selection leaves out, in a temporary table of the selection's own connection (both databases
    /// accept the same DDL; emptied first, since a pooled connection may keep it from an earlier selection), inserted
    /// a few hundred per statement.
    /// </summary>
    private static async Task FillExclusionsAsync(
        DbConnection connection, DbTransaction transaction, SelectionExclusions exclusions, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction, $"CREATE TEMPORARY TABLE IF NOT EXISTS {ExclusionTable} (image_id BIGINT PRIMARY KEY)", cancellationToken);
        await ExecuteAsync(connection, transaction, $"DELETE FROM {ExclusionTable}", cancellationToken);
        foreach (var chunk in exclusions.All.Chunk(ClassesPerInsert))
        {
            var values = string.Join(", ", chunk.Select((_, i) => $"(@i{i})"));
            await ExecuteAsync(connection, transaction, $"INSERT INTO {ExclusionTable} (image_id) VALUES {values}", cancellationToken,
                chunk.Select((id, i) => ($"i{i}", (object?)id)).ToArray());
        }
    }

    /// <summary>The class rows, a few hundred per statement (one round trip each, not one per class).</summary>
    private static async Task InsertClassesAsync(
        DbConnection connection, DbTransaction transaction, long setId, List<ClassSelection> selections, CancellationToken cancellationToken)
    {
        foreach (var chunk in selections.Chunk(ClassesPerInsert))
        {
            var values = string.Join(", ", chunk.Select((_, i) => $"(@set, @c{i}, @b{i}, @n{i}, 0, 0)"));
            var parameters = chunk.SelectMany((c, i) => new (string, object?)[] { ($"c{i}", c.ClassIndex), ($"b{i}", c.ThresholdBucket), ($"n{i}", c.Candidates) })
                .Prepend(("set", setId))
                .ToArray();
            await ExecuteAsync(connection, transaction, InsertClasses + values, cancellationToken, parameters);
        }
    }

    private async Task<Teacher> ReadTeacherAsync(DbConnection connection, DbTransaction transaction, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = Command(
            connection,
            transaction,
            "SELECT r.name, r.kind, r.status, m.id, m.name, m.sha256, r.ensemble FROM runs r JOIN models m ON m.id = r.model_id WHERE r.id = @run",
            ("run", dialect.RunId(runId)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new ArgumentException($"no run with id {runId}");
        }

        var ensemble = RunEnsemble.Parse(reader.IsDBNull(6) ? null : reader.GetString(6));

        var (name, kind, status) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
        if (kind != RunKind.Teacher)
        {
            throw new ArgumentException($"run {name} is a '{kind}' run, not a teacher pass: make one with 'pseudo-label teach'");
        }

        if (status != Completed)
        {
            throw new ArgumentException($"teacher run {name} is {status}: select from a completed teacher pass");
        }

        var teacher = new Teacher(reader.GetInt64(3), reader.GetString(4), reader.GetString(5));
        await reader.DisposeAsync();
        return ensemble is null ? teacher : await ReadEnsembleTeacherAsync(connection, transaction, teacher.ModelId, ensemble, cancellationToken);
    }

    /// <summary>
    /// An ensemble teacher's lineage names every teacher: the set's model name is <c>&lt;method&gt; of a, b</c> and its
    /// model SHA-256 lists each teacher's, comma-separated, in the ensemble's order.
    /// </summary>
    private async Task<Teacher> ReadEnsembleTeacherAsync(
        DbConnection connection, DbTransaction transaction, long firstModelId, RunEnsemble ensemble, CancellationToken cancellationToken)
    {
        var (names, hashes) = (new List<string>(), new List<string>());
        foreach (var modelId in ensemble.ModelIds)
        {
            await using var command = Command(connection, transaction, "SELECT name, sha256 FROM models WHERE id = @id", ("id", modelId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new ArgumentException($"ensemble teacher model {modelId} does not exist");
            }

            names.Add(reader.GetString(0));
            hashes.Add(reader.GetString(1));
        }

        return new Teacher(firstModelId, $"{ensemble.Method} of {string.Join(", ", names)}", string.Join(',', hashes));
    }

    private static async Task EnsureNameFreeAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken)
    {
        if (await ScalarAsync(connection, transaction, "SELECT 1 FROM pseudo_label_sets WHERE name = @name", cancellationToken, ("name", name)) is not null)
        {
            throw new PseudoLabelSetExistsException(name);
        }
    }

    private static async Task<int> ReadGenerationAsync(DbConnection connection, DbTransaction transaction, long setId, CancellationToken cancellationToken) =>
        await ScalarAsync(connection, transaction, "SELECT generation FROM pseudo_label_sets WHERE id = @set", cancellationToken, ("set", setId))
            is { } generation
            ? Convert.ToInt32(generation, System.Globalization.CultureInfo.InvariantCulture)
            : throw new ArgumentException($"no parent pseudo-label set with id {setId}");

    private async Task<List<PseudoLabelSetInfo>> ReadSetsAsync(
        DbConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sets = new List<PseudoLabelSetInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sets.Add(new PseudoLabelSetInfo(
                reader.GetInt64(0),
                reader.GetString(1),
                dialect.ReadRunId(reader, 2),
                reader.GetString(3),
                reader.GetInt64(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.GetInt32(9),
                EnumText.Parse<PseudoLabelMode>(reader.GetString(10)),
                reader.GetDouble(11),
                reader.GetInt64(12),
                reader.GetDouble(13),
                reader.GetInt64(14),
                reader.GetInt64(15),
                reader.GetInt64(16),
                new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(17), DateTimeKind.Utc)),
                reader.IsDBNull(18) ? null : reader.GetString(18),
                reader.IsDBNull(19) ? null : reader.GetDouble(19),
                reader.GetInt64(20),
                reader.IsDBNull(21) ? null : reader.GetDouble(21),
                reader.GetInt64(22)));
        }

        return sets;
    }

    private static void Validate(SelectionRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw new ArgumentException("a pseudo-label set needs a name (--name)");
        }

        if (request.PerClassTarget <= 0)
        {
            throw new ArgumentException($"--per-class must be at least 1, got {request.PerClassTarget}");
        }

        if (double.IsNaN(request.MinConfidence) || request.MinConfidence is < 0 or > 1)
        {
            throw new ArgumentException($"--min-confidence must be between 0 and 1, got {request.MinConfidence}");
        }

        if (!double.IsFinite(request.Temperature) || request.Temperature <= 0)
        {
            throw new ArgumentException($"--temperature must be greater than 0, got {request.Temperature}");
        }
    }

    private static async Task<object?> ScalarAsync(
        DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    private static async Task ExecuteAsync(
        DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;

        // Bulk statements over millions of rows (the selection, a set's export) may run for minutes; cancellation
        // comes from the caller's token instead.
        command.CommandTimeout = 0;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private sealed record Teacher(long ModelId, string ModelName, string ModelSha256);
}
