using EfficientNet.Batch.Scheduler.Dashboard;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EfficientNet.Batch.UnitTests.Scheduler;

public sealed class DashboardOptionsTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("dev-api-key")]
    [InlineData("K3y.with_all-allowed")]
    public void A_missing_key_or_one_of_the_allowed_characters_is_accepted(string? key)
    {
        Assert.Equal(key, Options(key).Value.ApiKey);
    }

    [Theory]
    [InlineData("key-with-newline\n")]
    [InlineData(" spaced key")]
    public void A_key_the_header_could_never_carry_stops_the_start_naming_the_setting(string key)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Options(key).Value);

        Assert.Contains("Dashboard__ApiKey", error.Message, StringComparison.Ordinal);
    }

    private static IOptions<DashboardOptions> Options(string? key)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Dashboard:ApiKey"] = key })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.SectionName).ValidateDataAnnotations();
        return services.BuildServiceProvider().GetRequiredService<IOptions<DashboardOptions>>();
    }
}
