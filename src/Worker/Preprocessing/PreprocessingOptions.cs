using System.ComponentModel.DataAnnotations;

namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>Decoding limits and policies of the preprocessing step. Section "Preprocessing"; see docs/preprocessing.md.</summary>
public sealed class PreprocessingOptions
{
    public const string SectionName = "Preprocessing";

    /// <summary>
    /// Images whose header claims more pixels than this are rejected before any pixel is decoded.
    /// 100 MP keeps one decoded image at or under 300 MB (RGB, 8 bits) per decode thread and admits every
    /// common camera and phone format up to 100 MP; it lies between PIL's DecompressionBombWarning (89.5 MP)
    /// and its DecompressionBombError (179 MP). The upper bound keeps one decoded image within a 2 GiB buffer.
    /// </summary>
    [Range(typeof(long), "1", "700000000")]
    public long MaxPixels { get; set; } = 100_000_000;

    /// <summary>
    /// Rotate/flip the image upright per its EXIF orientation tag before resizing. torchvision's ImageFolder
    /// (PIL) ignores the tag; set false for bit-exact parity with such a pipeline on tagged photos.
    /// </summary>
    public bool ApplyExifOrientation { get; set; } = true;

    /// <summary>Fail on any decoder warning (e.g. recoverable corrupt JPEG scan data) instead of only on errors and truncation.</summary>
    public bool StrictDecoding { get; set; }

    [EnumDataType(typeof(PreprocessingMode))]
    public PreprocessingMode Mode { get; set; } = PreprocessingMode.Exact;

    /// <summary>Throws with the offending keys when the options are invalid (the host also validates them on start).</summary>
    public void EnsureValid()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ArgumentException(
                $"invalid {SectionName} options: {string.Join("; ", results.Select(r => $"{SectionName}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"))}");
        }
    }
}
