namespace EfficientNet.Batch.IntegrationTests.Reliability;

/// <summary>
/// No value reaches SQL text: a source audit (<see cref="SqlSourceAudit"/>) of src/ (migrations excluded) lists every
/// run-time piece of SQL text, and each must be named here with the reason it is safe. Values travel as parameters.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class SqlParameterizationTests
{
    private const string Dialect = "a fixed SQL expression of the provider's dialect (a literal in its Postgres or SQLite class)";

    private static readonly Dictionary<(string File, string Expression), string> Allowed = new()
    {
        [("src/Storage/Runs/PostgresRunStore.cs", "MigrationLock")] = "a const long (the advisory lock id)",
        [("src/Storage/Database/Postgres/WorkerRoleGrants.cs", "database.Replace(\"\\\"\", \"\\\"\\\"\", StringComparison.Ordinal)")] =
            "the database name from the connection string inside double quotes, embedded quotes doubled (an identifier: SQL cannot take it as a parameter)",
        [("src/Storage/Database/Postgres/WorkerRoleGrants.cs", "quotedRole")] =
            "the role name, refused unless it matches ^[a-z_][a-z0-9_]{0,62}$, then double-quoted (an identifier)",
        [("src/Storage/Database/Sqlite/SqliteConnectionSettings.cs", "(int)SqliteDatabase.BusyTimeout.TotalMilliseconds")] =
            "an int from a static readonly TimeSpan (PRAGMA takes no parameters)",
        [("src/Storage/Insights/RunInsightsReader.cs", "ExampleKeysPerFailure")] = "a const int",
        [("src/Storage/Insights/RunInsightsReader.cs", "TopClassesShown")] = "a const int",
        [("src/Storage/Insights/RunInsightsReader.cs", "TopClass")] = Dialect,
        [("src/Storage/Insights/RunInsightsReader.cs", "Truncate($\"{TopProbability} * {RunInsights.ConfidenceBins}\")")] =
            Dialect + " (truncation) of another (the top probability) times a const int",
        [("src/Storage/Insights/RunInsightsReader.cs", "Truncate($\"({EpochSeconds(\"completed_at\")} - @first) / @bucket\")")] =
            Dialect + " (truncation) of the epoch of a fixed column; the values are @parameters",
        [("src/Storage/Insights/RunInsightsReader.cs", "EpochSeconds(\"completed_at\")")] = Dialect + " (epoch seconds) of a fixed column",
        [("src/Storage/Insights/RunInsightsReader.cs", "EpochSeconds(\"leased_at\")")] = Dialect + " (epoch seconds) of a fixed column",
        [("src/Storage/Insights/RunInsightsReader.cs", "completed")] = "a local holding a fixed FROM ... WHERE clause with @run",
        [("src/Storage/Insights/PostgresRunInsightsReader.cs", "column")] =
            "EpochSeconds' column name: its callers pass only the literals \"completed_at\" and \"leased_at\"",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "ExclusionTable")] = "a const string: the name of the selection's temporary exclusion table",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "SetQuery")] = "a const string: the fixed SELECT that WHERE/ORDER BY literals extend",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "InsertClasses")] = "a const string: the fixed INSERT that the VALUES tuples extend",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "values")] = "VALUES tuples made only of @parameter names numbered by position",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "i")] = "a tuple's position in its chunk (an int), numbering @parameter names",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "full")] = "one of two literals: the column p.full_probabilities or NULL",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "dialect.TopLabelOf(\"a\")")] = Dialect + " of a fixed table alias",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "dialect.TopLabelOf(\"b\")")] = Dialect + " of a fixed table alias",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "dialect.TopLabel")] = Dialect,
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "dialect.TopConfidence")] = Dialect,
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "dialect.Bucket")] = Dialect,
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "SelectionHash.Sql(\"p.image_id\", \"@seed\")")] =
            "the selection hash as SQL arithmetic over a fixed column and the @seed parameter, with const multipliers",
        [("src/Storage/PseudoLabels/PseudoLabelStore.cs", "SelectionHash.Modulus")] = "a const long",
    };

    [Fact]
    public void Every_run_time_piece_of_sql_text_in_src_is_named_with_the_reason_it_is_safe()
    {
        var src = Path.Combine(TestPaths.RepoRoot, "src");
        var separator = Path.DirectorySeparatorChar;
        var fragments = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{separator}obj{separator}", StringComparison.Ordinal)
                && !f.Contains($"{separator}bin{separator}", StringComparison.Ordinal)
                && !f.Contains($"{separator}Migrations{separator}", StringComparison.Ordinal))
            .SelectMany(file => SqlSourceAudit.Audit(File.ReadAllText(file), Path.GetRelativePath(TestPaths.RepoRoot, file).Replace('\\', '/')))
            .ToList();

        var unexplained = fragments.Where(f => !Allowed.ContainsKey((f.File, f.Expression))).ToList();
        Assert.True(unexplained.Count == 0,
            "SQL text built from pieces this test does not know (make it a parameter, or name the piece in Allowed with why it is safe):\n"
            + string.Join("\n", unexplained.Select(f => $"{f.File}:{f.Line}: {{{f.Expression}}}")));
        var stale = Allowed.Keys.Where(key => !fragments.Any(f => (f.File, f.Expression) == key)).ToList();
        Assert.True(stale.Count == 0, "Allowed names pieces the audit no longer finds (remove them):\n" + string.Join("\n", stale));
    }

    [Theory]
    [InlineData("""class C { void M(NpgsqlConnection c, int id) { var x = new NpgsqlCommand($"SELECT * FROM runs WHERE id = {id}", c); } }""", "id")]
    [InlineData("""class C { void M(SqliteCommand c, string name) { c.CommandText = "DELETE FROM runs WHERE name = '" + name + "'"; } }""", "name")]
    [InlineData("""class C { void M(SqliteConnection c, string t) { using var x = new SqliteCommand { CommandText = $"{t}" }; } }""", "t")]
    [InlineData("""class C { void M(Db db, string key) { db.Images.FromSqlRaw("SELECT * FROM images WHERE key = " + Quote(key)); } }""", "Quote(key)")]
    [InlineData("""class C { void M(Db db, string v) { db.Database.ExecuteSqlRaw($"{Prefix} {v}"); } }""", "v")]
    [InlineData("""class C { string M(string key) { var sql = $"UPDATE shards SET status = 'x' WHERE key = '{key}'"; return sql; } }""", "key")]
    [InlineData("""class C { string M(string key) { return "INSERT INTO images (key) VALUES ('" + key + "')"; } }""", "key")]
    [InlineData("""class C { string M(int i) => $"(@run, @k{i})"; }""", "i")]
    public void The_audit_finds_values_built_into_sql(string source, string expected)
    {
        var fragments = SqlSourceAudit.Audit(source, "x.cs");

        Assert.Contains(fragments, f => f.Expression == expected);
    }

    [Theory]
    [InlineData("""class C { const string Q = "SELECT 1"; void M(NpgsqlConnection c) { var x = new NpgsqlCommand(Q, c); x.CommandText = "SELECT * FROM runs WHERE id = @id"; } }""")]
    [InlineData("""class C { void M(int id) => throw new ArgumentException($"no run with id {id}"); }""")]
    [InlineData("""class C { int M(int a) => a + 1; string N(string a) => a + "b"; }""")]
    public void The_audit_ignores_fixed_sql_and_text_that_is_not_sql(string source)
    {
        Assert.Empty(SqlSourceAudit.Audit(source, "x.cs"));
    }
}
