using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Bridge.Bench;

/// <summary>
/// Issue 11, item 6, measured from outside: an ordinary watcher's publish-to-receive latency (an unfiltered
/// <c>nodes</c> watch, one event every 20 ms) alone, and while guessers send wrong passwords to
/// <c>/auth_token</c> as fast as the bridge answers them. The per-address and per-account budgets are raised out of
/// the way, so that every guess costs a real 600 000-round PBKDF2: what is measured is the last line of defence,
/// the bound on concurrent hashes and their low priority (with the default budgets a guesser gets 429 after ten
/// tries and costs next to nothing).
/// </summary>
public static class GuessingCostBench
{
    public const int Guessers = 8;

    private const string Admin = "bench";
    private const string AdminPassword = "bench-guessing-cost";
    private const string Victim = "victim";

    public static async Task<GuessingCostResult> RunAsync(string bridgeDll, int events, int repetitions, string logDirectory, CancellationToken cancellationToken)
    {
        await using var bridge = await FilterCostBench.StartBridgeAsync(bridgeDll, "bridge-guessing", Admin, AdminPassword,
        [
            $"--Bridge:Accounts:1:Name={Victim}",
            "--Bridge:Accounts:1:Password=victim-secret",
            "--Bridge:Auth:FailedPasswordsPerAddress=1000000",
            "--Bridge:Auth:FailedPasswordsPerAccount=1000000",
        ], logDirectory, cancellationToken);
        var port = bridge.Port;

        using var http = await FilterCostBench.PublisherAsync(port, Admin, AdminPassword, cancellationToken);
        await using var watcher = await BenchSocket.ConnectAsync(port, "nodes", cancellationToken);
        await watcher.SendAsync("""{"handler":"watch"}""", cancellationToken);
        await FilterCostBench.MeasureAsync(http, watcher, "warm", Math.Min(events, 20), cancellationToken);

        var result = new GuessingCostResult(events, [], [], []);
        for (var rep = 0; rep < repetitions; rep++)
        {
            result.Alone.Add(await FilterCostBench.MeasureAsync(http, watcher, $"alone{rep}", events, cancellationToken));

            using var guessing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var guessers = Enumerable.Range(0, Guessers).Select(i => GuessAsync(port, i, guessing.Token)).ToList();
            // Let the guessers fill the bridge's hashing slots and its queue before measuring.
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            result.Guessing.Add(await FilterCostBench.MeasureAsync(http, watcher, $"guessing{rep}", events, cancellationToken));
            await guessing.CancelAsync();
            foreach (var counts in await Task.WhenAll(guessers))
            {
                foreach (var (status, count) in counts)
                {
                    result.Answers[(int)status] = result.Answers.GetValueOrDefault((int)status) + count;
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  guessing cost: ordinary watcher p50/p99 {result.Alone[^1].P50Ms:F2}/{result.Alone[^1].P99Ms:F2} ms alone, {result.Guessing[^1].P50Ms:F2}/{result.Guessing[^1].P99Ms:F2} ms while {Guessers} guessers run; answers so far {Answers(result)}"));
        }

        return result;
    }

    public static string Markdown(GuessingCostResult r)
    {
        var alone = FilterCostBench.Median(r.Alone);
        var guessing = FilterCostBench.Median(r.Guessing);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"#### An ordinary watcher's latency while {Guessers} clients guess passwords at full speed (ms; one event every 20 ms; budgets raised so every guess is hashed)");
        text.AppendLine();
        text.AppendLine("| events per phase | alone p50 / p99 / max | while guessing p50 / p99 / max | p99 ratio | guesses answered (status × count) |");
        text.AppendLine("|---:|---:|---:|---:|---|");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| {r.Events} | {alone.P50Ms:F2} / {alone.P99Ms:F2} / {alone.MaxMs:F2} | {guessing.P50Ms:F2} / {guessing.P99Ms:F2} / {guessing.MaxMs:F2} | {guessing.P99Ms / alone.P99Ms:F2}× | {Answers(r)} |");
        return text.ToString();
    }

    private static string Answers(GuessingCostResult r) =>
        string.Join(", ", r.Answers.OrderBy(static a => a.Key).Select(static a => string.Create(CultureInfo.InvariantCulture, $"{a.Key} × {a.Value}")));

    /// <summary>Wrong passwords for the victim account, one request after another, until cancelled.</summary>
    private static async Task<Dictionary<HttpStatusCode, int>> GuessAsync(int port, int guesser, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<HttpStatusCode, int>();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        for (var attempt = 0; !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Victim}:guess-{guesser}-{attempt}"))));
                using var response = await client.SendAsync(request, cancellationToken);
                counts[response.StatusCode] = counts.GetValueOrDefault(response.StatusCode) + 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }

        return counts;
    }
}

/// <summary>Both phases; each list holds one summary per repetition; the guessers' answers by HTTP status.</summary>
public sealed record GuessingCostResult(int Events, List<LatencySummary> Alone, List<LatencySummary> Guessing, Dictionary<int, int> Answers);
