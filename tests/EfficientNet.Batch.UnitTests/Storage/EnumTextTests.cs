using EfficientNet.Batch.Storage.Database.Conversions;
using EfficientNet.Batch.Storage.Runs;

namespace EfficientNet.Batch.UnitTests.Storage;

public sealed class EnumTextTests
{
    [Theory]
    [InlineData(ShardStatus.Pending, "pending")]
    [InlineData(ShardStatus.Running, "running")]
    [InlineData(ShardStatus.Completed, "completed")]
    [InlineData(ShardStatus.Skipped, "skipped")]
    public void Shard_statuses_are_stored_as_lower_case_names(ShardStatus status, string text)
    {
        var converter = new LowerCaseEnumConverter<ShardStatus>();

        Assert.Equal(text, converter.ConvertToProvider(status));
        Assert.Equal(status, converter.ConvertFromProvider(text));
    }

    [Fact]
    public void An_unknown_status_text_is_refused_naming_it()
    {
        var error = Assert.Throws<InvalidDataException>(() => EnumText.Parse<RunStatus>("paused"));

        Assert.Equal("'paused' is not a RunStatus", error.Message);
    }

    [Fact]
    public void A_number_that_is_no_status_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => EnumText.Parse<RunStatus>("42"));
    }
}
