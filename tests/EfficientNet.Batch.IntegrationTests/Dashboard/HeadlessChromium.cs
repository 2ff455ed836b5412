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

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        _profile.Dispose();
    }
}
