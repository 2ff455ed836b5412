using System.Text.RegularExpressions;
using Npgsql;

namespace EfficientNet.Batch.Storage.Database.Postgres;

/// <summary>
/// The least privileges a worker's database role needs, as GRANT statements: workers claim and renew shards (UPDATE
/// shards), read runs, models and images, write results (COPY into predictions, INSERT into failures), and never
/// create, alter, delete or truncate anything. Migrations run as the owner of the tables (a
/// privileged role); docs/reliability.md lists these statements and the test that runs a worker under them.
/// </summary>
public static partial class WorkerRoleGrants
{
    /// <summary>The statements for <paramref name="role"/> on <paramref name="database"/>; a name that is not a plain identifier is refused.</summary>
    public static IReadOnlyList<string> For(string role, string database)
    {
        if (!PlainIdentifier().IsMatch(role))
        {
            throw new ArgumentException($"'{role}' is not a plain PostgreSQL role name (lower-case letters, digits and _, at most 63)", nameof(role));
        }

        var quotedRole = $"\"{role}\"";
        return
        [
            $"GRANT CONNECT ON DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\" TO {quotedRole}",
            $"GRANT USAGE ON SCHEMA public TO {quotedRole}",
            $"GRANT SELECT ON runs, models, images TO {quotedRole}",
            $"GRANT SELECT, UPDATE ON shards TO {quotedRole}",
            $"GRANT SELECT, INSERT ON predictions, failures TO {quotedRole}",
        ];
    }

    /// <summary>Runs the statements on the connection's database (as a role that owns the tables).</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(string connectionString, string role, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var statements = For(role, connection.Database);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return statements;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PlainIdentifier();
}
