using System.Net.WebSockets;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Fuzz;

/// <summary>A WebSocket client for the fuzz suites: sends raw bytes as text or binary, whole or in fragments; every wait bounded.</summary>
public sealed class FuzzSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly byte[] _buffer = new byte[128 * 1024];

    private FuzzSocket(ClientWebSocket socket) => _socket = socket;

    public WebSocketState State => _socket.State;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public static async Task<FuzzSocket> ConnectAsync(Uri uri)
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(uri, timeout.Token);
        return new FuzzSocket(socket);
    }

    /// <summary>Sends <paramref name="bytes"/> as one message in <paramref name="fragments"/> frames.</summary>
    public async Task SendAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text, int fragments = 1)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var size = Math.Max(1, (bytes.Length + fragments - 1) / fragments);
        var sent = 0;
        do
        {
            var length = Math.Min(size, bytes.Length - sent);
            await _socket.SendAsync(bytes.AsMemory(sent, length), type, sent + length >= bytes.Length, timeout.Token);
            sent += length;
        }
        while (sent < bytes.Length);
    }

    /// <summary>The next whole message, or null with <c>Closed</c> when the server closed (or dropped) the connection, or null on timeout.</summary>
    public async Task<(byte[]? Message, bool Closed)> ReceiveAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(_buffer, cancellation.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (null, true);
                }

                message.Write(_buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return (message.ToArray(), false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return (null, false);
        }
        catch (WebSocketException)
        {
            return (null, true);
        }
    }

    public ValueTask DisposeAsync() => _socket.CloseQuietlyAsync();
}
