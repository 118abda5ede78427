using System.Buffers;
using System.Net.WebSockets;

namespace Bridge.Client;

/// <summary>The socket plumbing both clients share: reading whole messages, and giving up a half-opened connection.</summary>
internal static class WebSocketMessages
{
    private const int ChunkSize = 8192;

    /// <summary>
    /// Reads messages, each reassembled from its fragments, and hands each to <paramref name="onMessage"/> until the
    /// server's close frame arrives (then it returns: the close status is on the socket). A failed read throws.
    /// </summary>
    public static async Task ReceiveAsync(ClientWebSocket socket, MessageHandler onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(onMessage);

        // Yield so the caller can send its first frame ('init') before the first read blocks.
        await Task.Yield();
        var buffer = new ArrayBufferWriter<byte>(ChunkSize);
        while (true)
        {
            buffer.ResetWrittenCount();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.GetMemory(ChunkSize), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                buffer.Advance(result.Count);
            }
            while (!result.EndOfMessage);

            onMessage(result.MessageType, buffer.WrittenSpan);
        }
    }

    /// <summary>
    /// Gives up a connection whose handshake failed: aborts the socket, lets its receive loop (if it started) end
    /// with it, and disposes the socket, so that nothing of the attempt outlives it.
    /// </summary>
    public static async Task AbandonAsync(ClientWebSocket socket, Task? receiving)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.Abort();
        if (receiving is not null)
        {
            try
            {
                await receiving.WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception ex) when (ex is WebSocketException or BridgeClosedException or OperationCanceledException or ObjectDisposedException or TimeoutException)
            {
                // The handshake failed: the receive loop ended with the aborted socket.
            }
        }

        socket.Dispose();
    }
}
