using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.Storage.Images;

public static class ImageStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IImageSourceFactory"/>, <see cref="IImageStoreFactory"/> and the <see cref="BlobAccount"/>
    /// of <paramref name="blobConnectionString"/> (ConnectionStrings:Blob; optional: only az:// locations and models
    /// need it, and they fail naming the key when it is missing), with <see cref="ImageStoreOptions"/> bound from
    /// section "ImageStores" (validated on start) and its MaxImageBytes set to <paramref name="maxImageBytes"/>.
    /// </summary>
    public static IServiceCollection AddImageStores(this IServiceCollection services, string? blobConnectionString, long maxImageBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxImageBytes);
        services.AddOptions<ImageStoreOptions>()
            .BindConfiguration(ImageStoreOptions.SectionName)
            .PostConfigure(options => options.MaxImageBytes = maxImageBytes)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(sp => new BlobAccount(blobConnectionString, sp.GetRequiredService<IOptions<ImageStoreOptions>>().Value));
        services.TryAddSingleton<IImageSourceFactory, ImageSourceFactory>();
        services.TryAddSingleton<IImageStoreFactory, ImageStoreFactory>();
        return services;
    }
}
