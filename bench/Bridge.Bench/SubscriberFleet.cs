using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace Bridge.Bench;

/// <summary>
/// N WebSocket clients of one system, all subscribed to the benchmark topic, each with its own receive
/// loop. The same client code reads all three systems; only the handshake differs (a MonoRail <c>mq</c>
/// watch, a STOMP CONNECT/SUBSCRIBE, or nothing for the ceiling).
/// </summary>
public sealed class SubscriberFleet : IDeliveryFleet
{
    public const string Exchange = "on.events";
    public const string RoutingKey = "bench.fanout";

    private const string WatchRequest = "{\"handler\":\"watch\",\"params\":{\"exchange\":\"" + Exchange + "\",\"routingKey\":\"" + RoutingKey + "\"}}";

    // Issue 16: the same watch with recovery, fed by the exchange's recovery stream, each frame carrying its position.
    private const string RecoveringWatchRequest = "{\"handler\":\"watch\",\"params\":{\"exchange\":\"" + Exchange + "\",\"routingKey\":\"" + RoutingKey + "\"},\"recover\":true}";
    private const int ConnectParallelism = 32;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(60);

    private readonly List<ClientWebSocket> _sockets = [];
    private readonly List<Task> _receiveLoops = [];
    private readonly CancellationTokenSource _stopping = new();
    private volatile DeliveryRun? _run;
    private long _unexpectedCloses;

    private SubscriberFleet()
    {
    }

    public int Count => _sockets.Count;

    /// <summary>Connections that ended while the fleet was running (a slow-consumer abort, a server error).</summary>
    public long UnexpectedCloses => Interlocked.Read(ref _unexpectedCloses);

    /// <param name="kind">The system.</param>
    /// <param name="endpoint">Its WebSocket endpoint.</param>
    /// <param name="count">Subscribers.</param>
    /// <param name="cancellationToken">Ends the connecting.</param>
    /// <param name="recover">Bridge only: watch with <c>"recover": true</c> (issue 16).</param>
    public static async Task<SubscriberFleet> ConnectAsync(SystemKind kind, Uri endpoint, int count, CancellationToken cancellationToken, bool recover = false)
    {
        var fleet = new SubscriberFleet();
        try
        {
            using var gate = new SemaphoreSlim(ConnectParallelism);
            var connects = Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    var socket = await ConnectOneAsync(kind, endpoint, i, recover, cancellationToken);

                    // Reading from the start: a socket that does not read does not answer the server's pings,
                    // and the bridge closes it after KeepAliveInterval + KeepAliveTimeout (40 s), which a
                    // fleet of 19 000 on a loaded machine takes to connect.
                    lock (fleet._sockets)
                    {
                        fleet._sockets.Add(socket);
                        fleet._receiveLoops.Add(fleet.ReceiveLoopAsync(socket));
                    }
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            await Task.WhenAll(connects);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts counting deliveries into a new run (the previous one, if any, stops counting).</summary>
    public DeliveryRun Begin(long expected, bool recordLatency)
    {
        var run = new DeliveryRun(expected, recordLatency);
        _run = run;
        return run;
    }

    public void End() => _run = null;

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Task.WhenAll(_sockets.Select(async socket =>
        {
            try
            {
                if (socket.State == WebSocketState.Open)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench done", closing.Token);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }));
        await Task.WhenAll(_receiveLoops).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _stopping.Dispose();
    }

    private static async Task<ClientWebSocket> ConnectOneAsync(SystemKind kind, Uri endpoint, int index, bool recover, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (kind == SystemKind.WebStomp)
        {
            socket.Options.AddSubProtocol("v12.stomp");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            switch (kind)
            {
                case SystemKind.Bridge:
                    // Messages of a connection are handled in order and a watch returns once its binding is
                    // active, so the session reply to the init sent after it means the watch is live.
                    await SendTextAsync(socket, recover ? RecoveringWatchRequest : WatchRequest, timeout.Token);
                    await SendTextAsync(socket, """{"handler":"init"}""", timeout.Token);
                    await ExpectAsync(socket, "\"handler\":\"session\"", "\"handler\":\"error\"", timeout.Token);
                    break;
                case SystemKind.WebStomp:
                    await SendTextAsync(socket, "CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0", timeout.Token);
                    await ExpectAsync(socket, "CONNECTED", "ERROR", timeout.Token);
                    // The receipt comes once the subscription's queue is declared and bound.
                    await SendTextAsync(socket, $"SUBSCRIBE\nid:sub-{index}\ndestination:/exchange/{Exchange}/{RoutingKey}\nack:auto\nreceipt:r-{index}\n\n\0", timeout.Token);
                    await ExpectAsync(socket, "RECEIPT", "ERROR", timeout.Token);
                    break;
                case SystemKind.Ceiling:
                    await ExpectAsync(socket, "\"handler\":\"session\"", "\"handler\":\"error\"", timeout.Token);
                    break;
            }

            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"subscriber {index} of {kind} at {endpoint} did not finish its handshake within {HandshakeTimeout.TotalSeconds} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Task SendTextAsync(ClientWebSocket socket, string text, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    private static async Task ExpectAsync(ClientWebSocket socket, string wanted, string failure, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                length += result.Count;
            }
            while (!result.EndOfMessage && length < buffer.Length);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"the server closed the connection during the handshake: {socket.CloseStatus} {socket.CloseStatusDescription}");
            }

            var text = Encoding.UTF8.GetString(buffer, 0, length);
            if (text.Contains(wanted, StringComparison.Ordinal))
            {
                return;
            }

            if (text.Contains(failure, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the server refused the subscription: {text.Replace('\0', ' ')}");
            }
        }
    }

    private async Task ReceiveLoopAsync(ClientWebSocket socket)
    {
        await Task.Yield();
        var buffer = new byte[16 * 1024];
        var found = new (long Seq, long Timestamp)[8];
        var cancellationToken = _stopping.Token;
        try
        {
            while (true)
            {
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

                var receivedAt = Stopwatch.GetTimestamp();
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (!cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref _unexpectedCloses);
                    }

                    return;
                }

                if (_run is { } run)
                {
                    var count = PayloadFormat.Read(buffer.AsSpan(0, length), found);
                    for (var i = 0; i < count; i++)
                    {
                        run.OnDelivery(found[i].Seq, found[i].Timestamp, receivedAt);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _unexpectedCloses);
            }
        }
    }
}
