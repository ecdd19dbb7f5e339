using Microsoft.Playwright;

namespace Mnemora.Dashboard.Tests.EndToEnd;

public sealed class PlaywrightSmokeTests
{
    [Fact]
    public async Task ChromiumStartsOffline()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Args = ["--no-sandbox", "--disable-gpu"] });
        var page = await browser.NewPageAsync();
        await page.SetContentAsync("<h1>hello</h1>");
        Assert.Equal("hello", await page.InnerTextAsync("h1"));
    }
}
