using EfficientNet.Batch.Scheduler.Cli;
using EfficientNet.Batch.Storage.PseudoLabels;
using EfficientNet.Batch.Storage.Runs;
using EfficientNet.Batch.Storage.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace EfficientNet.Batch.Scheduler.PseudoLabels;

/// <summary>The images of a teacher pass: a location (folder, az://, manifest:) or <c>set:&lt;name&gt;</c>, a previous set's images.</summary>
public static class TeacherSource
{
    /// <summary>The image source and, for set:&lt;name&gt;, the set's id (recorded on the run as its lineage).</summary>
    public static async Task<(IImageSource Source, long? SetId)> ResolveAsync(IServiceProvider services, string source, CancellationToken cancellationToken)
    {
        if (!PseudoLabelSetSource.IsSetSource(source))
        {
            return (services.GetRequiredService<IImageSourceFactory>().Create(source), null);
        }

        var name = PseudoLabelSetSource.SetName(source);
        CliChecks.Require(name.Length > 0, $"'{source}' names no set: give set:<name> (see 'pseudo-label sets')");
        var store = services.GetRequiredService<IPseudoLabelStore>();
        var set = await store.FindSetAsync(name, cancellationToken)
            ?? throw new CliException($"no pseudo-label set named '{name}' (see 'pseudo-label sets')");
        var teacher = await services.GetRequiredService<IRunQueries>().FindRunAsync(set.TeacherRunId.ToString(), cancellationToken)
            ?? throw new CliException($"set {set.Name} names teacher run {set.TeacherRunId}, which does not exist");
        return (new PseudoLabelSetSource(store, set, teacher.Source), set.Id);
    }
}
