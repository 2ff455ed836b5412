using EfficientNet.Batch.Messaging;
using EfficientNet.Batch.Storage.Images;
using EfficientNet.Batch.Storage.Models;
using EfficientNet.Batch.Worker.Consumers;
using EfficientNet.Batch.Worker.Inference;
using EfficientNet.Batch.Worker.Models;
using EfficientNet.Batch.Worker.Pipeline;
using EfficientNet.Batch.Worker.Preprocessing;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EfficientNet.Batch.Worker;

/// <summary>Composes the worker's pipeline; used by the Worker host and by the embedded mode alike.</summary>
public static class InferenceWorkerExtensions
{
    /// <summary>Registers the pipeline (models, preprocessing, batching, shard processing) with validated options.</summary>
    public static IHostApplicationBuilder AddInferenceWorker(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<PreprocessingOptions>().BindConfiguration(PreprocessingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddImageStores(
            builder.Configuration.GetConnectionString(ConnectionNames.Blob),
            builder.Configuration.GetValue($"{PipelineOptions.SectionName}:{nameof(PipelineOptions.MaxImageBytes)}", new PipelineOptions().MaxImageBytes));
        builder.Services.AddModelFileCache();
        builder.Services.AddSingleton<ModelRepository>();
        builder.Services.AddSingleton<ImageStoreCache>();
        builder.Services.AddSingleton<ShardProcessor>();
        builder.Services.AddSingleton<WorkerIdentity>();
        return builder;
    }

    /// <summary>Registers the worker's consumers on a bus, whatever its transport.</summary>
    public static IBusRegistrationConfigurator AddInferenceConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<ProcessShardConsumer, ProcessShardConsumerDefinition>();
        return bus;
    }
}
