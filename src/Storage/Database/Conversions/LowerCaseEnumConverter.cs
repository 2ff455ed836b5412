using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace EfficientNet.Batch.Storage.Database.Conversions;

/// <summary>Stores an enum as its lower-case name (see <see cref="EnumText"/>).</summary>
public sealed class LowerCaseEnumConverter<TEnum> : ValueConverter<TEnum, string>
    where TEnum : struct, Enum
{
    public LowerCaseEnumConverter()
        : base(value => EnumText.Of(value), text => EnumText.Parse<TEnum>(text))
    {
    }
}
