using Azure;
using EfficientNet.Batch.Hosting;

namespace EfficientNet.Batch.Storage.Blobs;

/// <summary>Short, credential-free descriptions of the SDK's failures (its own messages carry headers and XML bodies).</summary>
public static class BlobErrors
{
    /// <summary>True for what the SDK throws once a request has failed: an HTTP error, or an AggregateException after retries.</summary>
    public static bool IsRequestFailure(Exception e) => e is RequestFailedException or AggregateException;

    public static string Describe(Exception e)
    {
        if (e is RequestFailedException { Status: > 0 } http)
        {
            var requestId = http.GetRawResponse()?.Headers.RequestId;
            return $"HTTP {http.Status} {http.ErrorCode}".TrimEnd() + (requestId is null ? "" : $", request id {requestId}");
        }

        // Network failures after all retries: AggregateException("Retry failed after N tries. ... (reason) (reason)").
        var reasons = e is AggregateException aggregate
            ? aggregate.InnerExceptions.Select(i => i.Message).Distinct().ToArray()
            : [e.Message];
        var text = string.Join("; ", reasons);
        return SecretRedactor.Redact(text.Length > 300 ? text[..300] + "..." : text);
    }
}
