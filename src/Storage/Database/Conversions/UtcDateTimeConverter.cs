using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace EfficientNet.Batch.Storage.Database.Conversions;

/// <summary>
/// Writes every DateTime as UTC and reads it back with Kind = Utc. SQLite keeps timestamps as ISO-8601 text
/// without a zone (sortable, so "newest run" is an ORDER BY); Postgres' timestamptz needs no conversion.
/// </summary>
public sealed class UtcDateTimeConverter : ValueConverter<DateTime, DateTime>
{
    public UtcDateTimeConverter()
        : base(value => ToUtc(value), stored => DateTime.SpecifyKind(stored, DateTimeKind.Utc))
    {
    }

    public static DateTime ToUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}
