using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Bridge.Client.Ledger;

namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// A ledger that vanishes without closing the connection (a dead host, a dropped NAT entry) must be noticed by
/// the client's keep-alive, not when TCP gives up minutes later. The server here is a bare TCP listener that
/// completes the WebSocket handshake, sends the ledger's <c>connect</c>, and then never reads or answers
/// again: the client's pings get no pong.
/// </summary>
public sealed class LedgerKeepAliveTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SilentLedger_IsDetectedAsDropped_WithinTheKeepAliveTimeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = ServeHandshakeThenGoSilentAsync(listener);

        await using var client = new LedgerNotificationClient(new LedgerClientOptions
        {
            BaseUri = new Uri($"http://127.0.0.1:{port}"),
            Token = "any",
            AutoReconnect = false,
            KeepAliveInterval = TimeSpan.FromMilliseconds(200),
            KeepAliveTimeout = TimeSpan.FromMilliseconds(400),
        });
        var dropped = new TaskCompletionSource<LedgerDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, args) => dropped.TrySetResult(args);
        await client.ConnectAsync().WaitAsync(Timeout);
        var connectedAt = DateTime.UtcNow;

        var args = await dropped.Task.WaitAsync(Timeout);

        Assert.False(args.WillReconnect);
        Assert.True(DateTime.UtcNow - connectedAt < TimeSpan.FromSeconds(5), "the silent connection was noticed only after the keep-alive should have caught it");
        Assert.False(client.IsConnected);
        using var silent = await serving.WaitAsync(Timeout);
    }

    /// <summary>Accepts one connection, answers its upgrade and sends <c>connect</c>; returns the open, silent socket.</summary>
    private static async Task<TcpClient> ServeHandshakeThenGoSilentAsync(TcpListener listener)
    {
        var connection = await listener.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        var request = new StringBuilder();
        var buffer = new byte[4096];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            Assert.True(read > 0, "the client closed before finishing its upgrade request");
            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var key = request.ToString().Split("\r\n")
            .First(line => line.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
        // RFC 6455 4.2.2: the accept value is base64(SHA-1(key + the protocol's fixed GUID)).
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"));

        var connect = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":null,"method":"connect"}""");
        await stream.WriteAsync((byte[])[0x81, (byte)connect.Length, .. connect]);
        return connection;
    }
}
