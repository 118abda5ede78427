using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace Bridge.UnitTests.Connections;

/// <summary>
/// A WebSocket whose sends are recorded, and completed at once or held until the test releases them; its receive waits until the test closes it (or it is aborted). No network: what <c>WebSocketConnection</c>
/// does with its socket, seen from the socket's side.
/// </summary>
internal sealed class ScriptedWebSocket : WebSocket
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebSocketState _state = WebSocketState.Open;
    private int _sending;
    private int _concurrentSends;

    /// <summary>Every data frame sent, in order.</summary>
    public ConcurrentQueue<byte[]> Sends { get; } = new();

    /// <summary>The managed thread each data frame's send started on, in the order of <see cref="Sends"/>.</summary>
    public ConcurrentQueue<int> SendThreads { get; } = new();

    /// <summary>How many sends started while another was in progress (a WebSocket allows one sender at a time).</summary>
    public int ConcurrentSendsSeen => Volatile.Read(ref _concurrentSends);

    /// <summary>Whether each receive's token could be cancelled, in order: a cancelable one holds a registration while it waits.</summary>
    public ConcurrentQueue<bool> ReceiveTokensCancelable { get; } = new();

    /// <summary>When set, each send waits for it (a client that is not reading: Kestrel's output is full).</summary>
    public TaskCompletionSource? HoldSends { get; set; }

    public override WebSocketCloseStatus? CloseStatus => null;

    public override string? CloseStatusDescription => null;

    public override WebSocketState State => _state;

    public override string? SubProtocol => null;

    /// <summary>The client's close frame arrives: the connection's receive loop ends.</summary>
    public void CloseFromClient() => _closed.TrySetResult();

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _sending) > 1)
        {
            Interlocked.Increment(ref _concurrentSends);
        }

        try
        {
            SendThreads.Enqueue(Environment.CurrentManagedThreadId);
            Sends.Enqueue(buffer.ToArray());
            if (HoldSends is { } hold)
            {
                await hold.Task;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _sending);
        }
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

    public override async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ReceiveTokensCancelable.Enqueue(cancellationToken.CanBeCanceled);
        await _closed.Task.WaitAsync(cancellationToken);

        // As ManagedWebSocket does: a receive that an abort ended reports a cancellation.
        if (_state == WebSocketState.Aborted)
        {
            throw new OperationCanceledException("the WebSocket was aborted");
        }

        _state = WebSocketState.CloseReceived;
        return new ValueWebSocketReceiveResult(0, WebSocketMessageType.Close, endOfMessage: true);
    }

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await ReceiveAsync(buffer.AsMemory(), cancellationToken);
        return new WebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage);
    }

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        _state = _state == WebSocketState.CloseReceived ? WebSocketState.Closed : WebSocketState.CloseSent;
        return Task.CompletedTask;
    }

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

    public override void Abort()
    {
        _state = WebSocketState.Aborted;
        _closed.TrySetResult();
    }

    public override void Dispose()
    {
    }
}
