using System.Net.WebSockets;

namespace Bridge.Client;

/// <summary>
/// The one writer of a client's socket (a WebSocket allows one send at a time), shared by both clients. What must
/// be recorded in wire order (the channel protocol matches replies to requests by order) is recorded while the
/// lock is held, just before the frame goes out.
/// </summary>
internal sealed class FrameSender : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public Task SendAsync(ClientWebSocket socket, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        SendAsync(() => socket, frame, whileHeld: null, cancellationToken);

    /// <summary>
    /// Sends <paramref name="frame"/> as one text message on the socket <paramref name="socket"/> returns (asked under
    /// the lock, so it is the current one); <paramref name="whileHeld"/> runs under the lock first.
    /// </summary>
    public async Task SendAsync(Func<ClientWebSocket> socket, ReadOnlyMemory<byte> frame, Action? whileHeld, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            whileHeld?.Invoke();
            await socket().SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();
}
