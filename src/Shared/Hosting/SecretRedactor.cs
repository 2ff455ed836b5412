using System.Text.RegularExpressions;

namespace EfficientNet.Batch.Hosting;

/// <summary>Removes credentials from text before it is logged or shown: connection-string secrets, SAS signatures, URI passwords.</summary>
public static partial class SecretRedactor
{
    public const string Mask = "***";

    public static string Redact(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        text = ConnectionStringSecret().Replace(text, m => $"{m.Groups["key"].Value}={Mask}");
        text = SasSignature().Replace(text, m => $"{m.Groups["key"].Value}={Mask}");
        return UriPassword().Replace(text, m => $"{m.Groups["scheme"].Value}://{m.Groups["user"].Value}:{Mask}@");
    }

    [GeneratedRegex(@"(?<key>password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|access_token|apikey|api_key)\s*=\s*[^;\s""']+", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionStringSecret();

    [GeneratedRegex(@"(?<key>[?&]sig)=[^&\s""']+", RegexOptions.IgnoreCase)]
    private static partial Regex SasSignature();

    [GeneratedRegex(@"(?<scheme>[a-z][a-z0-9+.-]*)://(?<user>[^:/@\s]+):[^@/\s]+@", RegexOptions.IgnoreCase)]
    private static partial Regex UriPassword();
}
