using EfficientNet.Batch.Hosting;
using EfficientNet.Batch.Storage.PseudoLabels;
using EfficientNet.Batch.Storage.Sources;

namespace EfficientNet.Batch.Scheduler.Cli;

/// <summary>
/// The &lt;source&gt; of label, submit and pseudo-label teach: a folder, az://&lt;container&gt;/&lt;prefix&gt;,
/// manifest:&lt;file&gt; or set:&lt;name&gt;, checked before a run is written so that a source that cannot be read is
/// one line and exit 3, with nothing in the database.
/// </summary>
public static class SourceArgument
{
    /// <summary>A local path made absolute (and required to exist); every other form (it has a ':') as given.</summary>
    public static string Normalize(string source)
    {
        if (PseudoLabelSetSource.IsSetSource(source) || source.Contains(':', StringComparison.Ordinal))
        {
            return source;
        }

        var full = Path.GetFullPath(source);
        CliChecks.Require(Directory.Exists(full) || File.Exists(full), $"folder not found: {full}");
        return full;
    }

    /// <summary>
    /// Reads the start of the listing (a container that does not exist, missing or refused credentials fail here), or
    /// the whole of a manifest, whose malformed line would otherwise stop planning half-way.
    /// </summary>
    public static async Task CheckReadableAsync(IImageSource source, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in source.EnumerateKeysAsync(cancellationToken))
            {
                if (source is not ManifestImageSource)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is not (OperationCanceledException or CliException))
        {
            var message = SecretRedactor.Redact(e.GetBaseException().Message);
            throw new CliException(message.StartsWith("cannot ", StringComparison.Ordinal) ? message : $"cannot read {source.Location}: {message}");
        }
    }
}
