using System.Net.WebSockets;
using System.Text;

using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Ledger;

/// <summary>A raw ledger WebSocket client for tests: frames as text, every wait bounded.</summary>
public sealed class LedgerSocket : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;

    private LedgerSocket(ClientWebSocket socket) => _socket = socket;

    public WebSocketState State => _socket.State;

    public static async Task<LedgerSocket> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token);
        return new LedgerSocket(socket);
    }

    /// <summary>Connects and waits for the <c>connect</c> frame.</summary>
    public static async Task<LedgerSocket> ConnectAuthenticatedAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = await ConnectAsync(uri, configure);
        var first = await socket.ReceiveAsync("the connect frame");
        Assert.Equal("""{"jsonrpc":"2.0","id":null,"method":"connect"}""", first);
        return socket;
    }

    public async Task SendAsync(string text)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
    }

    /// <summary>Sends a request and returns the next frame (the answer, when no notification is in flight).</summary>
    public async Task<string> RequestAsync(string text)
    {
        await SendAsync(text);
        return await ReceiveAsync($"the answer to {text}");
    }

    public async Task<string> ReceiveAsync(string awaiting, TimeSpan? timeout = null)
    {
        var (text, closed) = await TryReceiveAsync(timeout ?? DefaultTimeout);
        return text ?? throw new TimeoutException(closed
            ? $"the server closed the socket ({_socket.CloseStatus}) while awaiting {awaiting}"
            : $"nothing within {(timeout ?? DefaultTimeout).TotalSeconds} s while awaiting {awaiting}");
    }

    public async Task AssertNothingAsync(TimeSpan quiet)
    {
        var (text, _) = await TryReceiveAsync(quiet);
        Assert.True(text is null, $"expected nothing, got {text}");
    }

    /// <summary>Waits for the server's close frame; returns its status (null when the socket just dropped).</summary>
    public async Task<(WebSocketCloseStatus? Status, List<string> Frames)> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        var frames = new List<string>();
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (DateTime.UtcNow < deadline)
        {
            var (text, closed) = await TryReceiveAsync(deadline - DateTime.UtcNow);
            if (closed)
            {
                return (_socket.CloseStatus, frames);
            }

            if (text is not null)
            {
                frames.Add(text);
            }
        }

        throw new TimeoutException("the server did not close the socket");
    }

    private async Task<(string? Text, bool Closed)> TryReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[16 * 1024];
        using var stream = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (null, true);
                }

                stream.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return (Encoding.UTF8.GetString(stream.ToArray()), false);
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
