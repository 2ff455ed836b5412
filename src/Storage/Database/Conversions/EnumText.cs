namespace EfficientNet.Batch.Storage.Database.Conversions;

/// <summary>How enums are stored: their lower-case name ("running"), like the schema's other text codes.</summary>
public static class EnumText
{
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    public static TEnum Parse<TEnum>(string text)
        where TEnum : struct, Enum =>
        Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new InvalidDataException($"'{text}' is not a {typeof(TEnum).Name}");
}
