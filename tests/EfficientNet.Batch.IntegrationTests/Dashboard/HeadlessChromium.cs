using Microsoft.Playwright;

namespace EfficientNet.Batch.IntegrationTests.Dashboard;

/// <summary>
/// Debian's Chromium driven by Playwright's bundled driver: no browser is ever downloaded. The flags keep it off the
/// network (this machine's closed network refuses Chromium's background connections) and give it a fresh profile.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly TempDirectory _profile = new("enb-chromium");
    private IPlaywright _playwright = null!;

    public IBrowserContext Browser { get; private set; } = null!;

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)");
        }

        var chromium = new HeadlessChromium();
        chromium._playwright = await Playwright.CreateAsync();
        chromium.Browser = await chromium._playwright.Chromium.LaunchPersistentContextAsync(chromium._profile.Path, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            ViewportSize = new ViewportSize { Width = 1400, Height = 1100 },
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
        return chromium;
    }

    /// <summary>
    /// A new page at <paramref name="url"/>, adding to <paramref name="errors"/> every console error or warning, page
    /// error and failed request it meets from then on, but one: a fetch the browser aborted (net::ERR_ABORTED) because
    /// a click navigated away while a refresh was in flight. The dashboard aborts no fetch itself (no AbortController
    /// in its site/), so nothing else ends one that way; a server that fails answers with a status or another error.
    /// </summary>
    public async Task<IPage> OpenAsync(string url, ICollection<string> errors)
    {
        var page = await Browser.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                errors.Add($"console {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => errors.Add($"page error: {error}");
        page.RequestFailed += (_, request) =>
        {
            if (request is not { Failure: "net::ERR_ABORTED", ResourceType: "fetch" or "xhr" })
            {
                errors.Add($"request failed: {request.Url} {request.Failure}");
            }
        };
        await page.GotoAsync(url);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        _profile.Dispose();
    }
}
