using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EfficientNet.Batch.Storage.Models;

public static class ModelFileCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ModelFileCache"/> with <see cref="ModelCacheOptions"/> (section "Worker", validated on
    /// start). Needs the BlobAccount that AddImageStores registers.
    /// </summary>
    public static IServiceCollection AddModelFileCache(this IServiceCollection services)
    {
        services.AddOptions<ModelCacheOptions>().BindConfiguration(ModelCacheOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<ModelFileCache>();
        return services;
    }
}
