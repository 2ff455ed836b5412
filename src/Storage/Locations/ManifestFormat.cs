namespace EfficientNet.Batch.Storage.Locations;

/// <summary>How a manifest is read, from its extension.</summary>
public enum ManifestFormat
{
    /// <summary>.txt: one reference per line; blank lines and lines starting with '#' are skipped.</summary>
    Text,

    /// <summary>.csv (RFC 4180): the column named key, path or uri if the first row names one, else the first column.</summary>
    Csv,

    /// <summary>.jsonl / .ndjson: one JSON object per line with a "key", "path" or "uri" string (or a bare JSON string).</summary>
    JsonLines,
}
