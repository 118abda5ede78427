using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Bridge.IntegrationTests.Auth;

/// <summary>
/// Issue 11 item 6, measured from outside: while anonymous guessers send wrong passwords as fast as they can,
/// a token-authenticated client's channel delivery p99 stays within twice its baseline. The per-address and
/// per-account budgets are raised out of the way so that every guess costs a real 600 000-round PBKDF2: what is
/// measured is the bound on concurrent hashes (and their low priority), the last line of defence.
/// </summary>
[Collection(TimedBehaviourCollection.Name)]
public sealed class PasswordGuessingLoadTests(ITestOutputHelper output)
{
    private const int SamplesPerPhase = 150;
    private const int Rounds = 3;
    private const int CheckedPerRound = 4;
    private static readonly TimeSpan MaxExtraLoadedPhase = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task GuessingAtFullSpeed_KeepsAnotherClientsDeliveryP99NearItsBaseline()
    {
        await using var bridge = await TestBridge.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Accounts:0:Name"] = "alice",
            ["Bridge:Accounts:0:Password"] = "alice-pw",
            ["Bridge:Accounts:1:Name"] = "victim",
            ["Bridge:Accounts:1:Password"] = "victim-pw",
            ["Bridge:Auth:FailedPasswordsPerAddress"] = "1000000",
            ["Bridge:Auth:FailedPasswordsPerAccount"] = "1000000",
        });
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        tokenRequest.Headers.Authorization = TokenEndpointTests.Basic("alice", "alice-pw");
        using var tokenResponse = await bridge.Client.SendAsync(tokenRequest);
        var token = (string)JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync())!["token"]!;

        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await socket.ConnectAsync(new Uri($"ws://{bridge.Client.BaseAddress!.Authority}/mq?token={token}"), timeout.Token);
        await socket.SendAsync("""{"handler":"watch","resource":"mq","params":{"exchange":"on.test","routingKey":"latency.#"}}"""u8.ToArray(),
            WebSocketMessageType.Text, true, timeout.Token);
        var broker = bridge.Services.GetRequiredService<IBroker>();
        var probe = new DeliveryProbe(socket, broker);
        await probe.WarmUpAsync(timeout.Token);

        var baseline = new List<double>();
        var loaded = new List<double>();
        var answers = new Dictionary<HttpStatusCode, int>();
        // Alternating phases: whatever else loads the machine meanwhile weighs on both sides alike.
        for (var round = 0; round < Rounds; round++)
        {
            baseline.AddRange(await probe.MeasureAsync(SamplesPerPhase, timeout.Token));
            using var guessing = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            var checkedThisRound = new StrongBox<int>();
            var guessers = Enumerable.Range(0, 8).Select(i => GuessAsync(bridge.Client.BaseAddress!, 20 + i, checkedThisRound, guessing.Token)).ToList();
            await Task.Delay(500, timeout.Token);
            loaded.AddRange(await probe.MeasureAsync(SamplesPerPhase, timeout.Token));

            // The hashes run on low-priority threads, so anything else on the machine slows them first: the loaded
            // phase goes on (more samples, all under guessing) until enough passwords were really checked in it.
            var phase = Stopwatch.StartNew();
            while (Volatile.Read(ref checkedThisRound.Value) < CheckedPerRound && phase.Elapsed < MaxExtraLoadedPhase)
            {
                loaded.AddRange(await probe.MeasureAsync(SamplesPerPhase / 3, timeout.Token));
            }

            await guessing.CancelAsync();
            foreach (var counts in await Task.WhenAll(guessers))
            {
                foreach (var (status, count) in counts)
                {
                    answers[status] = answers.GetValueOrDefault(status) + count;
                }
            }
        }

        var baselineP99 = Percentile(baseline, 0.99);
        var loadedP99 = Percentile(loaded, 0.99);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"delivery p99: baseline {baselineP99:F2} ms, while guessing {loadedP99:F2} ms; p50 {Percentile(baseline, 0.5):F2} / {Percentile(loaded, 0.5):F2} ms; guesses answered: {string.Join(", ", answers.Select(a => $"{(int)a.Key}×{a.Value}"))}"));

        // The guessing was real: passwords were checked (401) and the excess was turned away (503), at full speed.
        Assert.True(answers.GetValueOrDefault(HttpStatusCode.Unauthorized) >= 10, "too few guesses were checked to load the bridge");
        Assert.DoesNotContain(answers.Keys, status => status is not (HttpStatusCode.Unauthorized or HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests));
        // Twice the baseline plus 50 ms of slack: on the shared 2-core build machine (load average 30-40) the p99 of
        // 450 samples is a handful of scheduler stalls and varies 3x between runs; before the fix the same load
        // took another client's p99 from 2 ms to 817 ms (issue 11), which this bound still catches.
        Assert.True(loadedP99 <= 2 * baselineP99 + 50,
            string.Create(CultureInfo.InvariantCulture, $"delivery p99 went from {baselineP99:F2} ms to {loadedP99:F2} ms while guessing"));
    }

    private static double Percentile(List<double> samples, double quantile)
    {
        var sorted = samples.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(quantile * sorted.Count) - 1)];
    }

    private static async Task<Dictionary<HttpStatusCode, int>> GuessAsync(Uri baseAddress, int addressNumber, StrongBox<int> checkedPasswords, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<HttpStatusCode, int>();
        using var client = LoopbackClients.HttpFrom(LoopbackClients.Address(addressNumber), baseAddress);
        var attempt = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
                request.Headers.Authorization = TokenEndpointTests.Basic("victim", $"guess-{attempt++}");
                using var response = await client.SendAsync(request, cancellationToken);
                counts[response.StatusCode] = counts.GetValueOrDefault(response.StatusCode) + 1;
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    Interlocked.Increment(ref checkedPasswords.Value);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }

        return counts;
    }

    /// <summary>Publishes one message at a time through the bridge's broker and times its arrival on the socket.</summary>
    private sealed class DeliveryProbe(ClientWebSocket socket, IBroker broker)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _sequence;

        public async Task WarmUpAsync(CancellationToken cancellationToken)
        {
            // The watch is in place once a message arrives; then a few more to warm the path.
            using var first = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            first.CancelAfter(TimeSpan.FromSeconds(30));
            var receive = ReceiveAsync(first.Token);
            while (!receive.IsCompleted)
            {
                await broker.PublishAsync("on.test", "latency.warmup", Encoding.UTF8.GetBytes("{}"), first.Token);
                await Task.WhenAny(receive, Task.Delay(200, first.Token));
            }

            await receive;
            // Drain the other warm-up messages that may still be on their way.
            await Task.Delay(500, cancellationToken);
            await MeasureAsync(50, cancellationToken);
        }

        public async Task<List<double>> MeasureAsync(int count, CancellationToken cancellationToken)
        {
            var samples = new List<double>(count);
            for (var i = 0; i < count; i++)
            {
                var routingKey = $"latency.{Interlocked.Increment(ref _sequence)}";
                var started = Stopwatch.GetTimestamp();
                var receive = ReceiveUntilAsync(routingKey, cancellationToken);
                await broker.PublishAsync("on.test", routingKey, Encoding.UTF8.GetBytes("{}"), cancellationToken);
                await receive;
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await Task.Delay(10, cancellationToken);
            }

            return samples;
        }

        private async Task ReceiveUntilAsync(string routingKey, CancellationToken cancellationToken)
        {
            while (!(await ReceiveAsync(cancellationToken)).Contains($"\"{routingKey}\"", StringComparison.Ordinal))
            {
            }
        }

        private async Task<string> ReceiveAsync(CancellationToken cancellationToken)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            return Encoding.UTF8.GetString(_buffer, 0, length);
        }
    }
}
