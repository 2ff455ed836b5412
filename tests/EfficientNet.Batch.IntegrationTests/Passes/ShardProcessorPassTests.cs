using EfficientNet.Batch.Contracts;
using EfficientNet.Batch.Results;
using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Scheduler.Embedded;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Worker.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EfficientNet.Batch.IntegrationTests.Passes;

/// <summary>
/// The worker's pipeline for one shard of a pass, composed as embedded mode composes it: a bad file fails in every
/// target; a model that cannot load fails only its own target, and the others still get every image.
/// </summary>
public sealed class ShardProcessorPassTests : IDisposable
{
    private readonly TempDirectory _dir = new("enb-pass-processor");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_model_that_fails_to_load_fails_only_its_target_and_a_bad_file_fails_in_every_target()
    {
        var photos = Directory.EnumerateFiles(TestPaths.SamplePhotos).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Select(Path.GetFileName).ToArray();
        File.WriteAllText(_dir.File("page.jpg"), "<html>gone</html>");
        var items = photos.Select((key, i) => new ShardItem(i + 1, key!)).Append(new ShardItem(100, "page.jpg")).ToArray();
        foreach (var photo in photos)
        {
            File.Copy(Path.Combine(TestPaths.SamplePhotos, photo!), _dir.File(photo!));
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.AddEmbeddedMode(new DatabaseChoice(null, _dir.File("enb.db")), verbose: false);
        using var host = builder.Build();
        var processor = host.Services.GetRequiredService<ShardProcessor>();
        var options = new ShardOptions(_dir.Path, 5, StoreEmbeddings: false);
        var second = PassModels.WriteSecond(_dir);
        ShardTarget[] targets =
        [
            new(Guid.NewGuid(), 1, new ModelReference(1, PassModels.First, await ModelFiles.Sha256Async(PassModels.First, CancellationToken.None)), options),
            new(Guid.NewGuid(), 1, new ModelReference(2, _dir.File("missing.onnx"), new string('0', 64)), options),
            new(Guid.NewGuid(), 1, new ModelReference(3, second, await ModelFiles.Sha256Async(second, CancellationToken.None)), options),
        ];

        var outcomes = await processor.ProcessAsync(targets, items, "test-worker", CancellationToken.None);

        Assert.Equal(targets, outcomes.Select(o => o.Target));
        Assert.NotNull(outcomes[1].Error);
        Assert.Null(outcomes[1].Result);
        foreach (var outcome in new[] { outcomes[0], outcomes[2] })
        {
            Assert.Null(outcome.Error);
            Assert.Equal(photos.Length, outcome.Result!.Predictions.Count);
            var failure = Assert.Single(outcome.Result.Failures);
            Assert.Equal((100L, FailureStage.Decode), (failure.ImageId, failure.Stage));
        }

        // Each model's own preprocessing: the two targets label the same photos differently (their presets differ).
        Assert.NotEqual(
            outcomes[0].Result!.Predictions.OrderBy(p => p.ImageId).Select(p => p.TopProbabilities[0]),
            outcomes[2].Result!.Predictions.OrderBy(p => p.ImageId).Select(p => p.TopProbabilities[0]));
    }
}
