using Serilog.Core;
using Serilog.Events;

namespace EfficientNet.Batch.Hosting;

/// <summary>Rewrites string properties that carry credentials (passwords, account keys, SAS signatures, URI user info).</summary>
public sealed class SecretRedactingEnricher : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        foreach (var (name, value) in logEvent.Properties.ToArray())
        {
            if (value is ScalarValue { Value: string text } && SecretRedactor.Redact(text) is var redacted && redacted != text)
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, new ScalarValue(redacted)));
            }
        }
    }
}
