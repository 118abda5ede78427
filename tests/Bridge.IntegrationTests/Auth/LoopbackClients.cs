using System.Net;
using System.Net.Sockets;

namespace Bridge.IntegrationTests.Auth;

/// <summary>
/// Clients that connect from a chosen loopback address (127.0.0.2, 127.0.0.3, ...: all of 127/8 is loopback on
/// Linux), so a test can play several client addresses against one bridge on 127.0.0.1.
/// </summary>
internal static class LoopbackClients
{
    public static IPAddress Address(int n) => new([127, 0, 0, (byte)n]);

    public static HttpClient HttpFrom(IPAddress local, Uri baseAddress) =>
        new(new SocketsHttpHandler { ConnectCallback = (context, ct) => ConnectFromAsync(local, context.DnsEndPoint, ct) })
        {
            BaseAddress = baseAddress,
            Timeout = TestBridge.Timeout,
        };

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress local, DnsEndPoint remote, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(remote, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
