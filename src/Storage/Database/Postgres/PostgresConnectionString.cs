using Npgsql;

namespace EfficientNet.Batch.Storage.Database.Postgres;

/// <summary>Checks a PostgreSQL connection string and describes it without its credentials (for logs and errors).</summary>
public static class PostgresConnectionString
{
    /// <summary>The configuration key operators and scripts use (scripts/services.sh env prints it).</summary>
    public const string ConfigurationKey = "ConnectionStrings:Postgres";

    public const string EnvironmentVariable = "ConnectionStrings__Postgres";

    /// <summary>Parses the connection string; a malformed one fails naming the key, never echoing the value.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            // The parser's message quotes the offending part, which may be the password.
            throw new ArgumentException(
                $"{EnvironmentVariable} is not an Npgsql connection string; expected the form " +
                "Host=<host>;Port=<port>;Database=<database>;Username=<user>;Password=<password>",
                nameof(connectionString));
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException($"{EnvironmentVariable} names no Host", nameof(connectionString));
        }

        // TLS files named in the connection string must exist: Npgsql would only notice at the first connection.
        foreach (var (key, path) in new[] { ("Root Certificate", builder.RootCertificate), ("SSL Certificate", builder.SslCertificate), ("SSL Key", builder.SslKey) })
        {
            if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
            {
                throw new ArgumentException($"{EnvironmentVariable}: '{key}' names a file that does not exist: {path}", nameof(connectionString));
            }
        }

        return builder;
    }

    /// <summary>"host:port/database": what logs and error messages may show of a connection string.</summary>
    public static string Describe(string connectionString)
    {
        var builder = Parse(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
    }
}
