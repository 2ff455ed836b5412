using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using EfficientNet.Batch.Storage.Locations;

namespace EfficientNet.Batch.Storage.Sources;

/// <summary>
/// Reads the references of a manifest, one record at a time (a CSV record may span lines inside quotes), so a
/// manifest of millions of lines is never in memory. A malformed record stops the listing with
/// <see cref="InvalidDataException"/> naming the manifest and the line: the manifest, not one image, is wrong.
/// </summary>
public static class ManifestReader
{
    /// <summary>CSV header names and JSONL fields that hold the reference, in order of preference.</summary>
    public static IReadOnlyList<string> KeyFields { get; } = ["key", "path", "uri"];

    public static IAsyncEnumerable<string> ReadKeysAsync(TextReader reader, ManifestFormat format, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return format switch
        {
            ManifestFormat.Text => ReadTextAsync(reader, cancellationToken),
            ManifestFormat.Csv => ReadCsvAsync(reader, name, cancellationToken),
            ManifestFormat.JsonLines => ReadJsonLinesAsync(reader, name, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown manifest format"),
        };
    }

    private static async IAsyncEnumerable<string> ReadTextAsync(TextReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            var key = line.Trim();
            if (key.Length > 0 && !key.StartsWith('#'))
            {
                yield return key;
            }
        }
    }

    private static async IAsyncEnumerable<string> ReadJsonLinesAsync(TextReader reader, string name, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return JsonKey(line, name, lineNumber);
            }
        }
    }

    private static string JsonKey(string line, string name, int lineNumber)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw Invalid(name, lineNumber, $"not valid JSON ({e.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.String)
            {
                return NonEmpty(root.GetString()!, name, lineNumber);
            }

            if (root.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in KeyFields)
                {
                    if (root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        return NonEmpty(value.GetString()!, name, lineNumber);
                    }
                }
            }

            throw Invalid(name, lineNumber, "expected an object with a \"key\", \"path\" or \"uri\" string, or a JSON string");
        }
    }

    private static async IAsyncEnumerable<string> ReadCsvAsync(TextReader reader, string name, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int? column = null;
        var lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            var firstLine = lineNumber;
            var text = line;
            while (CountQuotes(text) % 2 == 1)
            {
                var next = await reader.ReadLineAsync(cancellationToken)
                    ?? throw Invalid(name, firstLine, "a quoted field is not closed before the end of the file");
                lineNumber++;
                text = text + "\n" + next;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var fields = SplitCsvRecord(text);
            if (column is null)
            {
                column = HeaderColumn(fields);
                if (column is not null)
                {
                    continue;
                }

                column = 0;
            }

            if (column.Value >= fields.Count)
            {
                throw Invalid(name, firstLine, $"{fields.Count} column(s), but the reference is in column {column.Value + 1}");
            }

            yield return NonEmpty(fields[column.Value].Trim(), name, firstLine);
        }
    }

    /// <summary>The column of the first of key, path, uri that the first record names, or null when it names none (no header).</summary>
    private static int? HeaderColumn(List<string> fields)
    {
        foreach (var wanted in KeyFields)
        {
            var index = fields.FindIndex(f => string.Equals(f.Trim(), wanted, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                return index;
            }
        }

        return null;
    }

    /// <summary>RFC 4180: fields separated by commas; a field starting with a quote runs to the closing quote, "" is a quote.</summary>
    internal static List<string> SplitCsvRecord(string record)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < record.Length; i++)
        {
            var c = record[i];
            if (quoted)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i + 1 < record.Length && record[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '"' && string.IsNullOrWhiteSpace(field.ToString()))
            {
                field.Clear();
                quoted = true;
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }

    private static int CountQuotes(string text) => text.AsSpan().Count('"');

    private static string NonEmpty(string key, string name, int lineNumber) =>
        string.IsNullOrWhiteSpace(key) ? throw Invalid(name, lineNumber, "empty reference") : key.Trim();

    private static InvalidDataException Invalid(string name, int lineNumber, string problem) =>
        new($"manifest {name}, line {lineNumber}: {problem}");
}
