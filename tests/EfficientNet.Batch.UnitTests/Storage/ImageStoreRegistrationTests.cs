using EfficientNet.Batch.Storage.Blobs;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Locations;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.UnitTests.Storage;

public sealed class ImageStoreRegistrationTests
{
    [Fact]
    public void AddImageStores_registers_both_factories_with_options_from_the_ImageStores_section()
    {
        using var services = Provider(new() { ["ImageStores:ListPageSize"] = "250", ["ImageStores:AllowManifestPathsOutsideFolder"] = "true" });

        var options = services.GetRequiredService<IOptions<ImageStoreOptions>>().Value;

        Assert.IsType<ImageSourceFactory>(services.GetRequiredService<IImageSourceFactory>());
        Assert.IsType<ImageStoreFactory>(services.GetRequiredService<IImageStoreFactory>());
        Assert.Equal(250, options.ListPageSize);
        Assert.True(options.AllowManifestPathsOutsideFolder);
        Assert.Equal(4096, options.MaxImageBytes);
        Assert.Equal(5, options.BlobMaxRetries);
        Assert.True(services.GetRequiredService<BlobAccount>().IsConfigured);
    }

    [Fact]
    public void An_invalid_setting_is_refused_naming_it()
    {
        using var services = Provider(new() { ["ImageStores:ListPageSize"] = "6000" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ImageStoreOptions>>().Value);

        Assert.Contains("ListPageSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddModelFileCache_reads_the_cache_folder_from_Worker_ModelCacheDirectory()
    {
        using var services = Provider(new() { ["Worker:ModelCacheDirectory"] = "/cache/models" });

        Assert.Equal("/cache/models", services.GetRequiredService<IOptions<ModelCacheOptions>>().Value.ModelCacheDirectory);
        Assert.NotNull(services.GetRequiredService<ModelFileCache>());
    }

    [Fact]
    public void The_model_cache_defaults_to_a_folder_under_the_temp_directory()
    {
        Assert.Equal(Path.Combine(Path.GetTempPath(), "efficientnet-batch", "models"), new ModelCacheOptions().ModelCacheDirectory);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddImageStores("UseDevelopmentStorage=true", maxImageBytes: 4096);
        services.AddModelFileCache();
        return services.BuildServiceProvider();
    }
}
