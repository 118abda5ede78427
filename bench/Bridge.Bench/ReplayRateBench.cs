using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Bridge.Bench;

/// <summary>
/// Issue 16's replay rate: one recovering watcher (<c>"recover": true</c>) takes a position, goes away while
/// <c>N</c> messages are published, and comes back with <c>"since"</c>; the rate is the missed messages the bridge
/// sends it per second, from the watch frame to its <c>recovered</c> frame (which counts them: <c>missed</c>).
/// </summary>
public static class ReplayRateBench
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    // The publisher sends without confirms: a pause lets the stream store the last of them before the watcher is back.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public static async Task<IReadOnlyList<ReplayRun>> RunAsync(Uri endpoint, IBenchPublisher publisher, int messages, int size, int repetitions, CancellationToken cancellationToken)
    {
        var runs = new List<ReplayRun>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout * Math.Max(1, repetitions));
        var token = timeout.Token;
        for (var rep = 0; rep < repetitions; rep++)
        {
            string position;
            using (var first = await WatchAsync(endpoint, since: null, token))
            {
                await publisher.PublishAsync(1, size, rate: 0, token);
                position = await ReadPositionAsync(first, token);
                await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "away", token);
            }

            await publisher.PublishAsync(messages, size, rate: 0, token);
            await Task.Delay(Settle, token);

            var started = Stopwatch.GetTimestamp();
            using var back = await WatchAsync(endpoint, position, token);
            var (items, missed) = await ReadUntilRecoveredAsync(back, token);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var run = new ReplayRun(messages, missed, items, elapsed);
            runs.Add(run);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  replay    {messages} published while away: missed {missed} ({items} items before recovered) in {elapsed.TotalSeconds:F2} s = {run.MissedPerSecond:N0} missed/s"));
        }

        return runs;
    }

    public static string Markdown(IReadOnlyList<ReplayRun> runs)
    {
        var text = new StringBuilder();
        text.AppendLine("#### Replay rate: missed messages sent to one reconnecting recovering watcher");
        text.AppendLine();
        text.AppendLine("| published while away | missed (recovered frame) | seconds to recovered | missed/s |");
        text.AppendLine("|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {run.Published:N0} | {run.Missed:N0} | {run.Elapsed.TotalSeconds:F2} | {run.MissedPerSecond:N0} |");
        }

        if (runs.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Median: {BenchResults.Median([.. runs.Select(static r => r.MissedPerSecond)]):N0} missed messages per second.");
        }

        return text.ToString();
    }

    private static async Task<ClientWebSocket> WatchAsync(Uri endpoint, string? since, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(endpoint, cancellationToken);
        var resume = since is null ? "" : ",\"since\":" + JsonSerializer.Serialize(since);
        var watch = $"{{\"handler\":\"watch\",\"params\":{{\"exchange\":\"{SubscriberFleet.Exchange}\",\"routingKey\":\"{SubscriberFleet.RoutingKey}\"}},\"recover\":true{resume}}}";
        await socket.SendAsync(Encoding.UTF8.GetBytes(watch), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        if (since is null)
        {
            // The session reply to an init sent after the watch means the watch is live (messages are handled in order).
            await socket.SendAsync("""{"handler":"init"}"""u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            while (!(await ReceiveAsync(socket, cancellationToken)).Contains("\"handler\":\"session\"", StringComparison.Ordinal))
            {
            }
        }

        return socket;
    }

    private static async Task<string> ReadPositionAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var frame = JsonDocument.Parse(await ReceiveAsync(socket, cancellationToken));
            if (frame.RootElement.TryGetProperty("position", out var position))
            {
                return position.GetString()!;
            }
        }
    }

    private static async Task<(int Items, long Missed)> ReadUntilRecoveredAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var items = 0;
        while (true)
        {
            var text = await ReceiveAsync(socket, cancellationToken);
            if (!text.Contains("\"handler\":\"recovered\"", StringComparison.Ordinal))
            {
                items++;
                continue;
            }

            using var frame = JsonDocument.Parse(text);
            if (!frame.RootElement.GetProperty("recovered").GetBoolean())
            {
                throw new InvalidOperationException($"the replay answered {text}");
            }

            return (items, frame.RootElement.GetProperty("missed").GetInt64());
        }
    }

    private static async Task<string> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        return result.MessageType == WebSocketMessageType.Close
            ? throw new InvalidOperationException($"the bridge closed the watcher's connection: {socket.CloseStatus} {socket.CloseStatusDescription}")
            : Encoding.UTF8.GetString(buffer, 0, length);
    }
}

/// <summary>One replay: how many were published while away, how many the bridge counted missed, and how long it took.</summary>
public sealed record ReplayRun(int Published, long Missed, int Items, TimeSpan Elapsed)
{
    public double MissedPerSecond => Missed / Math.Max(Elapsed.TotalSeconds, 1e-6);
}
