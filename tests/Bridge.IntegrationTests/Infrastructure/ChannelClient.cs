using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>A MonoRail channel client for tests: every wait is bounded, so a missing reply fails with a message.</summary>
public sealed class ChannelClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;

    private ChannelClient(ClientWebSocket socket) => _socket = socket;

    public WebSocketState State => _socket.State;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public static async Task<ChannelClient> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token);
        return new ChannelClient(socket);
    }

    public Task SendAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message));

    public async Task SendTextAsync(string text)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
    }

    public async Task SendBinaryAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, timeout.Token);
    }

    /// <summary>The next message, or a failure naming what was awaited.</summary>
    public async Task<JsonObject> ReceiveAsync(TimeSpan? timeout = null, string? awaiting = null)
    {
        var message = await TryReceiveAsync(timeout ?? DefaultTimeout);
        return message ?? throw new TimeoutException($"no message within {(timeout ?? DefaultTimeout).TotalSeconds} s{(awaiting is null ? "" : $" (awaiting {awaiting})")}; socket {_socket.State} {_socket.CloseStatus}");
    }

    /// <summary>Skips messages until one satisfies <paramref name="predicate"/>.</summary>
    public async Task<JsonObject> ReceiveMatchingAsync(Func<JsonObject, bool> predicate, string awaiting, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no message matching {awaiting} in time");
            }

            var message = await ReceiveAsync(remaining, awaiting);
            if (predicate(message))
            {
                return message;
            }
        }
    }

    /// <summary>
    /// Sends <c>init</c> and waits for <c>session</c>. Messages of a connection are handled in order, so once the
    /// session arrives every earlier message (a watch, say) has been fully processed.
    /// </summary>
    public async Task<List<JsonObject>> SyncAsync()
    {
        await SendAsync(new { handler = "init" });
        var before = new List<JsonObject>();
        while (true)
        {
            var message = await ReceiveAsync(awaiting: "session after init");
            if ((string?)message["handler"] == "session")
            {
                return before;
            }

            before.Add(message);
        }
    }

    /// <summary>Asserts that nothing arrives for <paramref name="quiet"/>.</summary>
    public async Task AssertNothingAsync(TimeSpan quiet)
    {
        var message = await TryReceiveAsync(quiet);
        Assert.True(message is null, $"expected no message, got {message?.ToJsonString()}");
    }

    public async Task<JsonObject?> TryReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        using var stream = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }

                stream.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return JsonNode.Parse(stream.ToArray())!.AsObject();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // ClientWebSocket aborts itself when a receive is cancelled; tests that time out are over anyway.
            return null;
        }
    }

    /// <summary>Waits for the server to close the connection and returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var buffer = new byte[4096];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (WebSocketException)
        {
            return WebSocketCloseStatus.EndpointUnavailable;
        }

        return _socket.CloseStatus;
    }

    public ValueTask DisposeAsync() => _socket.CloseQuietlyAsync();
}
