using System.Globalization;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>
/// The worst legal page, twenty times at once (issue 15): a scale tenant with 100 episodes of about
/// 399 KB, hot and (after the short retention here) cold, asks for <c>limit=1000</c> twenty times in
/// parallel while one client follows the cursor to the end. Every page is bounded by the contract's
/// ~4 MB, the cursor yields each episode exactly once, and the API's resident memory stays under 1 GB
/// throughout. (Twenty whole cursor chains would read 800 MB through the emulators, about seven minutes
/// of a two-core CI machine, and prove nothing one chain beside the twenty pages does not.)
/// </summary>
[Collection(HardeningCollection.Name)]
public sealed class WorstPageTests(HardeningSystem system)
{
    private const int Episodes = 100;
    private const int ContentCharacters = 398_000;
    private const int Chains = 20;
    private const long MaxWorkingSet = 1024L * 1024 * 1024;
    private const string Path = "/v1/memory/episodic/worst?limit=1000";

    /// <summary>The contract's 4 MB of episode JSON plus one episode (the page stops once past it) and the envelope.</summary>
    private const long MaxPageBytes = (4L * 1024 * 1024) + 500_000;

    [Fact]
    public async Task TwentyParallelWorstPagesAreBoundedAndTheCursorYieldsEveryEpisodeOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        var written = new string[Episodes];
        var resent = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Episodes), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
        {
            var content = string.Create(ContentCharacters, i, (span, n) => span.Fill((char)('a' + (n % 26))));
            var body = new { agent_id = "worst", session_id = $"s-{i % 3}", type = "observation", content };
            var created = await Envelope.ReadDataAsync(await SendAsync(() => tenant.Client.PostAsJsonAsync("/v1/memory/episodic", body, token), token, () => Interlocked.Increment(ref resent)), HttpStatusCode.Created);
            written[i] = created.GetProperty("id").GetString()!;
        });

        var pid = await ApiProcessIdAsync(ct);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var peak = Task.Run(() => PeakResidentBytesAsync(pid, sampling.Token), ct);

        var chain = ReadChainAsync(tenant.Client, Path, int.MaxValue, ct);
        var worstPages = await Task.WhenAll(Enumerable.Range(0, Chains).Select(_ => ReadChainAsync(tenant.Client, Path, 1, ct)));
        var (ids, pages, largestPage) = await chain;
        await sampling.CancelAsync();
        var peakBytes = await peak;

        // A write answered 503 may still have landed before the store call was cut, and its re-send adds
        // a second episode: the stored set is what was acknowledged plus at most one per re-send.
        var stored = ids.ToHashSet(StringComparer.Ordinal);
        Assert.Equal(ids.Count, stored.Count);
        Assert.Subset(stored, written.ToHashSet(StringComparer.Ordinal));
        Assert.InRange(stored.Count, Episodes, Episodes + resent);
        Assert.True(pages > 1, "40 MB of episodes cannot fit one bounded page.");
        foreach (var (pageIds, _, pageBytes) in worstPages.Append((ids, pages, largestPage)))
        {
            Assert.True(pageBytes <= MaxPageBytes, $"A page of {pageBytes} bytes is past the contract's ~4 MB.");
            Assert.NotEmpty(pageIds);
            Assert.Subset(stored, pageIds.ToHashSet(StringComparer.Ordinal));
        }

        Assert.True(peakBytes < MaxWorkingSet, $"The API's resident memory reached {peakBytes / (1024 * 1024)} MB.");

        // A filter that matches nothing still answers in bounded pages and ends.
        var (none, _, _) = await ReadChainAsync(tenant.Client, Path + "&type=tool_call", int.MaxValue, ct);
        Assert.Empty(none);
    }

    /// <summary>Follows the cursor to the end or for <paramref name="maxPages"/>: the ids in order, the pages read and the largest page's bytes.</summary>
    private static async Task<(List<string> Ids, int Pages, long LargestPage)> ReadChainAsync(HttpClient api, string path, int maxPages, CancellationToken ct)
    {
        var ids = new List<string>();
        var pages = 0;
        var largest = 0L;
        string? cursor = null;
        do
        {
            var url = cursor is null ? path : $"{path}&cursor={Uri.EscapeDataString(cursor)}";
            using var response = await SendAsync(() => api.GetAsync(url, ct), ct);
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 600)])}");
            largest = Math.Max(largest, bytes.Length);
            pages++;
            using var document = JsonDocument.Parse(bytes);
            var data = document.RootElement.GetProperty("data");
            var episodes = data.GetProperty("episodes");
            Assert.True(episodes.GetArrayLength() <= 1000);
            ids.AddRange(episodes.EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
            cursor = data.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            Assert.True(pages < 1000, "The cursor chain does not end.");
        }
        while (cursor is not null && pages < maxPages);

        return (ids, pages, largest);
    }

    /// <summary>Sends again after a 429's Retry-After or a 503 (a store timeout on a starved machine), as a client would: neither is what is tested here.</summary>
    private static async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send, CancellationToken ct, Action? resentAfterTimeout = null)
    {
        while (true)
        {
            var response = await send();
            if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
            {
                return response;
            }

            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                resentAfterTimeout?.Invoke();
            }

            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait, ct);
        }
    }

    private static async Task<long> PeakResidentBytesAsync(int pid, CancellationToken ct)
    {
        var peak = 0L;
        while (!ct.IsCancellationRequested)
        {
            peak = Math.Max(peak, ResidentBytes(pid));
            try
            {
                await Task.Delay(50, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return Math.Max(peak, ResidentBytes(pid));
    }

    /// <summary>VmRSS of /proc/{pid}/status, in bytes.</summary>
    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>The process running Mnemora.Api: the resource's pid, or its child when DCP started it through <c>dotnet run</c>.</summary>
    private async Task<int> ApiProcessIdAsync(CancellationToken ct)
    {
        Assert.True(OperatingSystem.IsLinux(), "The working set is read from /proc.");
        var resource = await system.App.ResourceNotifications.WaitForResourceAsync("api",
            e => e.Snapshot.Properties.Any(p => p.Name == "executable.pid" && p.Value is not null), ct);
        var candidates = new Queue<int>([Convert.ToInt32(resource.Snapshot.Properties.First(p => p.Name == "executable.pid").Value, CultureInfo.InvariantCulture)]);
        while (candidates.TryDequeue(out var candidate))
        {
            if (new FileInfo($"/proc/{candidate}/exe").LinkTarget?.EndsWith("/Mnemora.Api", StringComparison.Ordinal) == true)
            {
                return candidate;
            }

            foreach (var task in Directory.EnumerateDirectories($"/proc/{candidate}/task"))
            {
                foreach (var child in File.ReadAllText($"{task}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    candidates.Enqueue(int.Parse(child, CultureInfo.InvariantCulture));
                }
            }
        }

        throw new InvalidOperationException("The Mnemora.Api process was not found.");
    }
}
