using System.Net.WebSockets;

namespace Bridge.IntegrationTests.Infrastructure;

public static class TestWebSockets
{
    /// <summary>Closes with 1000 if still open (bounded to 2 s; a peer that does not answer is not the test's concern), then disposes.</summary>
    public static async ValueTask CloseQuietlyAsync(this ClientWebSocket socket)
    {
        if (socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "test done", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        socket.Dispose();
    }
}
