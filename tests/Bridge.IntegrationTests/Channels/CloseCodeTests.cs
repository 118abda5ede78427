using System.Net.WebSockets;
using System.Text;
using Bridge.Connections;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Channels;

/// <summary>
/// The close codes the README documents, as a plain WebSocket client sees them (issue 11 item 10): 1013 for a
/// slow consumer, 1012 with a reason when the host stops. Before, both were a dropped socket (1006).
/// </summary>
// Alone, after the parallel tests: whether the slow consumer's queued frames are dropped before its close depends on
// the send loop not running ahead, which a machine saturated by a dozen other test classes cannot promise.
[Collection(TimedBehaviourCollection.Name)]
public sealed class CloseCodeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static async Task<ClientWebSocket> ConnectAsync(BridgeHost host, string path)
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(host.WebSocketUri(path), timeout.Token);
        await socket.SendAsync("""{"handler":"init"}"""u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
        var (type, _) = await ReceiveAsync(socket, timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, type);
        return socket;
    }

    private static async Task<(WebSocketMessageType Type, int Bytes)> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var bytes = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            bytes += result.Count;
        }
        while (!result.EndOfMessage);
        return (result.MessageType, bytes);
    }

    [Fact]
    public async Task SlowConsumer_GetsACloseFrame1013WithTheReason_WhenItReadsAgain()
    {
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Connections:SendQueueCapacity"] = "8",
        });
        var registry = host.Services.GetRequiredService<ConnectionRegistry>();
        using var slow = await ConnectAsync(host, "/mq");

        // The client does not read: big frames fill the socket buffers, then its queue of 8, until one is refused.
        var frame = Encoding.UTF8.GetBytes($$"""{"handler":"item","resource":"mq","id":"x","data":"{{new string('x', 256 * 1024)}}"}""");
        var deadline = DateTime.UtcNow + Timeout;
        var accepted = 0;
        while (registry.BroadcastToPath("mq", frame) == 1)
        {
            accepted++;
            Assert.True(DateTime.UtcNow < deadline, "the slow consumer was never cut off");
        }

        using var timeout = new CancellationTokenSource(Timeout);
        var frames = 0;
        while ((await ReceiveAsync(slow, timeout.Token)).Type != WebSocketMessageType.Close)
        {
            frames++;
        }

        Assert.Equal(CloseCodes.TryAgainLater, slow.CloseStatus);
        Assert.Equal((WebSocketCloseStatus)1013, slow.CloseStatus);
        Assert.Equal(CloseCodes.SlowConsumerReason, slow.CloseStatusDescription);
        // What the send loop had already taken may still arrive before the close; how many it took before the
        // queue filled depends on scheduling (2 and 8 of 8 were seen in full runs), so the number of frames that
        // came first is not asserted: what this test pins is the close code and its reason.
        Assert.True(accepted >= 8, $"cut off after {accepted} frames, before its queue of 8 was full ({frames} arrived before the close)");
    }

    [Fact]
    public async Task HostStop_SendsEveryClient1012WithAReason_AfterWhatWasQueued()
    {
        var host = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" });
        using var nodes = await ConnectAsync(host, "/nodes");
        using var mq = await ConnectAsync(host, "/mq");
        host.Services.GetRequiredService<ConnectionRegistry>().Broadcast("""{"handler":"item","resource":"notice","id":"last","data":{}}"""u8.ToArray());

        var stopping = host.DisposeAsync().AsTask();

        using var timeout = new CancellationTokenSource(Timeout);
        foreach (var socket in new[] { nodes, mq })
        {
            Assert.Equal(WebSocketMessageType.Text, (await ReceiveAsync(socket, timeout.Token)).Type);
            Assert.Equal(WebSocketMessageType.Close, (await ReceiveAsync(socket, timeout.Token)).Type);
            Assert.Equal(CloseCodes.ServiceRestart, socket.CloseStatus);
            Assert.Equal(CloseCodes.ServiceRestartReason, socket.CloseStatusDescription);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }

        await stopping.WaitAsync(Timeout);
    }
}
