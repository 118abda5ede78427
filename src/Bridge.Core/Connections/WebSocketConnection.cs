using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Bridge.Auth;
using Bridge.Observability;

namespace Bridge.Connections;

/// <summary>
/// One accepted WebSocket, protocol-agnostic: a receive loop that hands whole messages to a front, and a
/// bounded outgoing queue drained by a single send loop, so that any thread (the broker's dispatch above
/// all) can enqueue a frame without ever waiting on this client's network.
/// </summary>
public sealed class WebSocketConnection
{
    private const int InitialReceiveBufferBytes = 4 * 1024;

    private readonly WebSocket _socket;
    private readonly ConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<ReadOnlyMemory<byte>> _outgoing;
    private readonly SendLoopSignal _sendLoopWake = new();
    private readonly CancellationTokenSource _aborted = new();
    private CloseRequest? _close;
    private volatile bool _outgoingCompleted;
    private volatile bool _discardQueued;
    private int _slowConsumerReported;
    private readonly Lock _membershipLock = new();
    private string[] _memberships = [];

    public WebSocketConnection(WebSocket socket, string path, Caller caller, ConnectionOptions options, FrontMetrics metrics, ILogger logger)
    {
        _socket = socket;
        Metrics = metrics;
        _options = options;
        _logger = logger;
        Path = path;
        Caller = caller;
        _outgoing = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(options.SendQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,

            // Not AllowSynchronousContinuations: resuming the send loop on the queuing thread saves a worker wake-up
            // per frame, but puts every recipient's framing and pipe write on the broker's one dispatch thread; at
            // 1 000 subscribers that cost 4x the CPU per delivery and 5x less throughput (issue 17, docs/benchmarks.md).
            // The loop does not wait on the channel at all: SendLoopSignal lets a caller choose, frame by frame and
            // within its InlineSendAllowance, to write on its own thread (TrySend's preferInline).
        });
    }

    public Guid Id { get; } = Guid.NewGuid();

    /// <summary>The request path the client connected to (for a channel, its name).</summary>
    public string Path { get; }

    public Caller Caller { get; }

    /// <summary>The instruments of the front this connection belongs to.</summary>
    public FrontMetrics Metrics { get; }

    /// <summary>Number of frames waiting to be sent.</summary>
    public int QueuedFrames => _outgoing.Reader.Count;

    /// <summary>
    /// The resources whose broadcasts this connection receives (<see cref="ConnectionRegistry.BroadcastToMembers"/>):
    /// a front decides who is a member (a channel connection of its default resource, a watch of the resource it
    /// names), so a push finds its clients by resource, whatever path they connected to.
    /// </summary>
    public bool IsMemberOf(string resource) => Array.IndexOf(Volatile.Read(ref _memberships), resource) >= 0;

    /// <summary>Adds <paramref name="resource"/> to <see cref="IsMemberOf"/>; false when it was there already.</summary>
    public bool Join(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_membershipLock)
        {
            if (IsMemberOf(resource))
            {
                return false;
            }

            // Copy on write: broadcasts read the array without a lock; joins are rare and the set is tiny.
            _memberships = [.. _memberships, resource];
            return true;
        }
    }

    /// <summary>Removes <paramref name="resource"/> from <see cref="IsMemberOf"/>; false when it was not there.</summary>
    public bool Leave(string resource)
    {
        lock (_membershipLock)
        {
            if (!IsMemberOf(resource))
            {
                return false;
            }

            _memberships = [.. _memberships.Where(member => member != resource)];
            return true;
        }
    }

    /// <summary>
    /// Queues an encoded UTF-8 text frame. Never blocks. The frame may be shared with other connections
    /// and must not be modified afterwards. When the queue is full the client is too slow: the connection
    /// is aborted (see <see cref="ConnectionOptions.SendQueueCapacity"/>) and false is returned.
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="preferInline">
    /// Write it on this thread when the connection is idle (nothing queued, no send in progress) and the thread's
    /// <see cref="InlineSendAllowance"/> has a send left, sparing the wake-up of a worker; the write still goes
    /// through the queue and the one send loop, so order and the bound hold, and a write that cannot complete at once
    /// gives the thread back. For a frame with one recipient; a frame fanned out to many is queued to each.
    /// </param>
    public bool TrySend(ReadOnlyMemory<byte> frame, bool preferInline = false)
    {
        if (_outgoing.Writer.TryWrite(frame))
        {
            Metrics.FrameQueued();
            _sendLoopWake.Wake(preferInline);
            return true;
        }

        // A queue completed by a close is not a slow consumer: the frame simply comes too late.
        if (!_outgoingCompleted && Interlocked.Exchange(ref _slowConsumerReported, 1) == 0)
        {
            ConnectionLog.SlowConsumer(_logger, Id, _options.SendQueueCapacity);
            Metrics.SlowConsumerDisconnected();

            // What is queued would only delay the close frame of a client that is behind already.
            BeginClose(CloseCodes.TryAgainLater, CloseCodes.SlowConsumerReason, discardQueued: true);
        }

        return false;
    }

    /// <summary>
    /// Starts the server's side of the close handshake: no frame is queued after this, those already queued go
    /// out first (unless <paramref name="discardQueued"/>), then a close frame with <paramref name="status"/> and
    /// <paramref name="reason"/>; the connection ends when the client answers it, or is aborted when it has not
    /// within <see cref="ConnectionOptions.CloseTimeout"/>. Only the first call counts.
    /// </summary>
    public void BeginClose(WebSocketCloseStatus status, string reason, bool discardQueued = false)
    {
        if (Interlocked.CompareExchange(ref _close, new CloseRequest(status, reason), null) is not null)
        {
            return;
        }

        if (discardQueued)
        {
            _discardQueued = true;
        }

        CompleteOutgoing();
        try
        {
            _aborted.CancelAfter(_options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
            // The connection has ended already.
        }
    }

    /// <summary>Ends the connection at once, without waiting for queued frames.</summary>
    public void Abort()
    {
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    /// <summary>
    /// Runs the connection until the client closes it, it is aborted, or <paramref name="cancellationToken"/>
    /// fires (the client is gone: no close frame). When <paramref name="stopping"/> fires (the host is shutting
    /// down) the client gets a close frame, 1012 with a reason, after the frames already queued, rather than a
    /// dropped socket (issue 11 item 10, issue 16 §3).
    /// </summary>
    public async Task RunAsync(IConnectionHandler handler, CancellationToken stopping, CancellationToken cancellationToken)
    {
        // One token source per connection, not a linked one: the request's abort (the client or Kestrel gone) aborts
        // the connection through one registration. A linked source held a source, two registration lists and two
        // callback nodes for the connection's whole life (docs/benchmarks.md, round 3 §7).
        var requestAborted = cancellationToken.UnsafeRegister(static state => ((WebSocketConnection)state!).Abort(), this);
        var aborted = _aborted.Token;
        var sendLoop = SendLoopAsync(aborted);
        (WebSocketCloseStatus Status, string Reason) outcome;

        // Registered after the send loop started: a host already stopping closes a connection it just accepted.
        using (stopping.Register(static state => ((WebSocketConnection)state!).BeginClose(CloseCodes.ServiceRestart, CloseCodes.ServiceRestartReason), this))
        {
            // Cancelling a pending receive aborts a WebSocket (no close frame could follow), so stopping never
            // cancels it: the close handshake ends the receive loop instead.
            outcome = await ReceiveLoopAsync(handler, aborted);

            // Let what is already queued (e.g. the reply to the client's last message) go out before closing.
            CompleteOutgoing();
            await sendLoop.WaitAsync(_options.CloseTimeout, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (Volatile.Read(ref _close) is { } requested)
        {
            outcome = (requested.Status, requested.Reason);
        }
        else if (_aborted.IsCancellationRequested && outcome.Status == WebSocketCloseStatus.NormalClosure)
        {
            outcome = (WebSocketCloseStatus.EndpointUnavailable, "aborted");
        }

        // Answers a client's close; a no-op once the server's own close frame went out. A message over the limit was
        // not read to its end: the close waits for the client's answer, reading past the rest (see CloseAsync).
        await CloseAsync(outcome.Status, outcome.Reason, awaitClientClose: outcome.Status == WebSocketCloseStatus.MessageTooBig);
        Abort();
        await sendLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        requestAborted.Dispose();
        _aborted.Dispose();
        ConnectionLog.Closed(_logger, Id, outcome.Reason);
    }

    private void CompleteOutgoing()
    {
        _outgoingCompleted = true;
        _outgoing.Writer.TryComplete();
        _sendLoopWake.Wake(preferInline: false);
    }

    private async Task<(WebSocketCloseStatus Status, string Reason)> ReceiveLoopAsync(IConnectionHandler handler, CancellationToken cancellationToken)
    {
        byte[]? buffer = null;

        // The receives take no token: with one, ManagedWebSocket and Kestrel's request pipe each register on it for
        // every receive, and an idle connection's pending receive held those registrations as long as it waited.
        // Cancelling a receive aborts the WebSocket anyway, so one registration for the whole loop does the same job:
        // it aborts the socket, which ends the pending receive (ASP.NET Core aborts the request when an aborted
        // WebSocket disposes its stream).
        using var abortOnCancel = cancellationToken.UnsafeRegister(static state => ((WebSocket)state!).Abort(), _socket);
        try
        {
            while (true)
            {
                // Wait for the next message with a zero-byte read, so that an idle connection (the common case:
                // a client that watches and listens) holds no receive buffer; see docs/benchmarks.md.
                var result = await _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (WebSocketCloseStatus.NormalClosure, "closed by the client");
                }

                buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferBytes);
                var length = 0;
                while (!result.EndOfMessage)
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= _options.MaxMessageBytes + 1)
                        {
                            ConnectionLog.MessageTooBig(_logger, Id, _options.MaxMessageBytes);
                            return (WebSocketCloseStatus.MessageTooBig, $"message exceeds {_options.MaxMessageBytes} bytes");
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxMessageBytes + 1));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                    if (length > _options.MaxMessageBytes)
                    {
                        ConnectionLog.MessageTooBig(_logger, Id, _options.MaxMessageBytes);
                        return (WebSocketCloseStatus.MessageTooBig, $"message exceeds {_options.MaxMessageBytes} bytes");
                    }

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return (WebSocketCloseStatus.NormalClosure, "closed by the client");
                    }
                }

                try
                {
                    await handler.HandleMessageAsync(buffer.AsMemory(0, length), result.MessageType, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    // A front answers bad input itself; reaching this is a bug, but it must not end the connection.
                    ConnectionLog.HandlerFailed(_logger, Id, ex);
                }

                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException
            || (cancellationToken.IsCancellationRequested && ex is WebSocketException or IOException or ObjectDisposedException))
        {
            // A receive that our own abort ended (ManagedWebSocket reports it as a cancellation, a socket aborted
            // before the receive began as an invalid state): not a lost connection.
            return (WebSocketCloseStatus.EndpointUnavailable, Volatile.Read(ref _close) is null ? "aborted" : "the close handshake timed out");
        }
        catch (WebSocketException ex)
        {
            ConnectionLog.ReceiveFailed(_logger, Id, ex.WebSocketErrorCode, ex);
            return (WebSocketCloseStatus.EndpointUnavailable, "connection lost");
        }
        catch (IOException ex)
        {
            ConnectionLog.ReceiveFailed(_logger, Id, WebSocketError.ConnectionClosedPrematurely, ex);
            return (WebSocketCloseStatus.EndpointUnavailable, "connection lost");
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        var reader = _outgoing.Reader;

        // Neither the wait nor the sends take the token: with a cancelable token the channel allocates a new waiter
        // (and a registration) every time the queue runs dry, and ManagedWebSocket takes its slow path with a
        // registration for every frame, which made every delivery to an idle connection allocate (issue 15,
        // docs/benchmarks.md). One registration per connection does the same job: it aborts the socket, which ends
        // a send in progress, and completes the queue, which ends the wait.
        using var stop = cancellationToken.UnsafeRegister(static state => ((WebSocketConnection)state!).StopSending(), this);
        try
        {
            // True while the loop runs on a thread that queued a frame (SendLoopSignal): it sends that one frame and
            // leaves; frames queued meanwhile are for a worker, so a dispatching thread never drains a queue.
            var onQueuingThread = false;
            while (true)
            {
                if (reader.TryRead(out var frame))
                {
                    if (!_discardQueued)
                    {
                        var send = _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                        if (!send.IsCompleted)
                        {
                            // Kestrel's output is full: the queuing thread gets control back here, and the rest is a worker's.
                            onQueuingThread = false;
                        }

                        await send;
                    }

                    if (!onQueuingThread)
                    {
                        continue;
                    }
                }
                else if (reader.Completion.IsCompleted)
                {
                    break;
                }

                if (!_sendLoopWake.TryPark(reader))
                {
                    // More is queued already: go on, but not on a thread that queued a frame.
                    if (onQueuingThread)
                    {
                        onQueuingThread = false;
                        await Task.Yield();
                    }

                    continue;
                }

                var wake = _sendLoopWake.WaitAsync();
                if (wake.IsCompleted)
                {
                    // Woken before it could wait, the loop goes on where it is: if that is a queuing thread, leave it.
                    wake.GetAwaiter().GetResult();
                    if (onQueuingThread)
                    {
                        onQueuingThread = false;
                        await Task.Yield();
                    }
                }
                else
                {
                    onQueuingThread = await wake;
                }
            }

            // The queue is complete and flushed. A close the server began goes out from here, the only sender,
            // so it never races a data frame; the receive loop then waits for the client's answer.
            if (!cancellationToken.IsCancellationRequested
                && Volatile.Read(ref _close) is { } close && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(close.Status, close.Reason, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                ConnectionLog.SendFailed(_logger, Id, ex);
            }

            Abort();
        }
    }

    // The send loop's cancellation: what is queued is dropped, and a send blocked on a client that stopped reading ends.
    private void StopSending()
    {
        _discardQueued = true;
        CompleteOutgoing();
        _socket.Abort();
    }

    /// <summary>Sends the server's close frame unless one went out already.</summary>
    /// <param name="status">The close code.</param>
    /// <param name="reason">The close reason.</param>
    /// <param name="awaitClientClose">
    /// Wait (within <see cref="ConnectionOptions.CloseTimeout"/>) for the client's close, dropping what it still sends:
    /// a socket closed with unread bytes is reset, and the reset makes the client's TCP stack drop the close frame it
    /// has not read yet.
    /// </param>
    private async Task CloseAsync(WebSocketCloseStatus status, string reason, bool awaitClientClose = false)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_options.CloseTimeout);
        try
        {
            if (awaitClientClose && _socket.State == WebSocketState.Open)
            {
                await _socket.CloseAsync(status, reason, timeout.Token);
            }
            else
            {
                await _socket.CloseOutputAsync(status, reason, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _socket.Abort();
        }
    }

    private sealed record CloseRequest(WebSocketCloseStatus Status, string Reason);
}
