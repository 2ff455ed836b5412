namespace EfficientNet.Batch.Worker.Preprocessing;

/// <summary>A rectangle of pixels: columns [Left, Left + Width), rows [Top, Top + Height).</summary>
public readonly record struct PixelWindow(int Left, int Top, int Width, int Height)
{
    public int Right => Left + Width;

    public int Bottom => Top + Height;

    public bool IsEmpty => Width <= 0 || Height <= 0;
}
