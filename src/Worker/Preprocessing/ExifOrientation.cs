namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>
/// The EXIF orientation tag (1-8) as a mapping from the upright image to the stored pixels: upright pixel (x, y)
/// is stored at (<see cref="SourceX"/>, <see cref="SourceY"/>). Values outside 1-8 mean "as stored".
/// </summary>
public readonly record struct ExifOrientation(int Value)
{
    public static readonly ExifOrientation Upright = new(1);

    /// <summary>5-8 store the image transposed: width and height swap when it is turned upright.</summary>
    public bool SwapsAxes => Value is >= 5 and <= 8;

    public bool IsIdentity => Value is < 2 or > 8;

    public (int Width, int Height) UprightSize(int storedWidth, int storedHeight) =>
        SwapsAxes ? (storedHeight, storedWidth) : (storedWidth, storedHeight);

    public int SourceX(int x, int y, int storedWidth) => Value switch
    {
        2 or 3 => storedWidth - 1 - x,
        5 or 6 => y,
        7 or 8 => storedWidth - 1 - y,
        _ => x,
    };

    public int SourceY(int x, int y, int storedHeight) => Value switch
    {
        3 or 4 => storedHeight - 1 - y,
        5 or 8 => x,
        6 or 7 => storedHeight - 1 - x,
        _ => y,
    };
}
