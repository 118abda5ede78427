using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace Bridge.Bench;

/// <summary>
/// N WebSocket clients, client i watching node i only (issue 17 §1): a MonoRail <c>mq</c> watch on
/// <c>&lt;node-i&gt;.#</c>, a <c>catalogs</c> watch filtered on <c>node</c>, or a STOMP subscription to the same
/// routing key. Message <c>seq</c> is published for node <c>seq % N</c>, so each client checks that it only gets its own.
/// </summary>
public sealed class DistinctWatchFleet : IAsyncDisposable
{
    public const string LoggingExchange = "on.logging";
    public const string WaterlineExchange = "on.waterline";
    private const int ConnectParallelism = 32;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(120);

    private readonly List<ClientWebSocket> _sockets = [];
    private readonly List<Task> _receiveLoops = [];
    private readonly CancellationTokenSource _stopping = new();
    private volatile Counter? _run;

    public int Count => _sockets.Count;

    public static string NodeName(int index) => "node-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<DistinctWatchFleet> ConnectAsync(bool webStomp, DistinctWatchVariant variant, Uri endpoint, int count, CancellationToken cancellationToken)
    {
        var fleet = new DistinctWatchFleet();
        try
        {
            using var gate = new SemaphoreSlim(ConnectParallelism);
            var sockets = new ClientWebSocket[count];
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    sockets[i] = await ConnectOneAsync(webStomp, variant, endpoint, i, cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }));
            for (var i = 0; i < count; i++)
            {
                fleet._sockets.Add(sockets[i]);
                fleet._receiveLoops.Add(fleet.ReceiveLoopAsync(sockets[i], i, count));
            }

            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts counting a burst of <paramref name="expected"/> deliveries.</summary>
    public Counter Begin(long expected)
    {
        var run = new Counter(expected);
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
        await Task.WhenAll(_receiveLoops).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _stopping.Dispose();
    }

    private static async Task<ClientWebSocket> ConnectOneAsync(bool webStomp, DistinctWatchVariant variant, Uri endpoint, int index, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (webStomp)
        {
            socket.Options.AddSubProtocol("v12.stomp");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            var node = NodeName(index);
            if (webStomp)
            {
                await SendTextAsync(socket, "CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0", timeout.Token);
                await ExpectAsync(socket, "CONNECTED", "ERROR", timeout.Token);
                await SendTextAsync(socket, $"SUBSCRIBE\nid:sub-{index}\ndestination:/exchange/{LoggingExchange}/{node}.#\nack:auto\nreceipt:r-{index}\n\n\0", timeout.Token);
                await ExpectAsync(socket, "RECEIPT", "ERROR", timeout.Token);
            }
            else
            {
                var watch = variant == DistinctWatchVariant.Mq
                    ? "{\"handler\":\"watch\",\"resource\":\"mq\",\"params\":{\"exchange\":\"" + LoggingExchange + "\",\"routingKey\":\"" + node + ".#\"}}"
                    : "{\"handler\":\"watch\",\"resource\":\"catalogs\",\"params\":{\"node\":\"" + node + "\"}}";
                await SendTextAsync(socket, watch, timeout.Token);
                await SendTextAsync(socket, """{"handler":"init"}""", timeout.Token);
                await ExpectAsync(socket, "\"handler\":\"session\"", "\"handler\":\"error\"", timeout.Token);
            }

            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"distinct watcher {index} at {endpoint} did not finish its handshake within {HandshakeTimeout.TotalSeconds} s");
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
                throw new InvalidOperationException($"the server refused the watch: {text.Replace('\0', ' ')}");
            }
        }
    }

    private async Task ReceiveLoopAsync(ClientWebSocket socket, int index, int count)
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
                    return;
                }

                if (_run is { } run)
                {
                    var payloads = PayloadFormat.Read(buffer.AsSpan(0, length), found);
                    for (var i = 0; i < payloads; i++)
                    {
                        run.OnDelivery(found[i].Seq % count == index, found[i].Timestamp, receivedAt);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>One burst's deliveries across the fleet; lock-free, called by every receive loop.</summary>
    public sealed class Counter(long expected)
    {
        private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _received;
        private long _misrouted;
        private long _firstStamp = long.MaxValue;
        private long _lastReceipt;

        public long Expected => expected;

        public long Received => Interlocked.Read(ref _received);

        public long Misrouted => Interlocked.Read(ref _misrouted);

        public Task Completed => _completed.Task;

        /// <summary>From the earliest publish stamp seen to the last receipt; 0 when nothing arrived (the clients were let go).</summary>
        public double DeliveriesPerSecond => Received == 0
            ? 0
            : Received / ((Interlocked.Read(ref _lastReceipt) - Interlocked.Read(ref _firstStamp)) / (double)Stopwatch.Frequency);

        public void OnDelivery(bool own, long stamp, long receivedAt)
        {
            if (!own)
            {
                Interlocked.Increment(ref _misrouted);
            }

            // The earliest publish stamp seen: messages reach different clients in no fixed order.
            var first = Interlocked.Read(ref _firstStamp);
            while (stamp < first && Interlocked.CompareExchange(ref _firstStamp, stamp, first) != first)
            {
                first = Interlocked.Read(ref _firstStamp);
            }

            var last = Interlocked.Read(ref _lastReceipt);
            while (receivedAt > last && Interlocked.CompareExchange(ref _lastReceipt, receivedAt, last) != last)
            {
                last = Interlocked.Read(ref _lastReceipt);
            }

            if (Interlocked.Increment(ref _received) >= expected)
            {
                _completed.TrySetResult();
            }
        }
    }
}
