using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Hosting;

/// <summary>
/// The bridge as a real process (issue 11 items 9 and 10, issue 16 §3): where it finds its settings, which
/// address it listens on, what it logs about an upgrade, and what its clients see when it is stopped.
/// </summary>
public sealed class BridgeProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static Dictionary<string, string?> Environment(int port, string dataDirectory) => new()
    {
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["Bridge__DataDirectory"] = dataDirectory,
        ["Bridge__Demo__Enabled"] = "false",
        ["Bridge__Accounts__0__Name"] = "alice",
        ["Bridge__Accounts__0__Password"] = "alice-password",
    };

    private static async Task<string> TokenAsync(BridgeProcess bridge)
    {
        using var http = new HttpClient { BaseAddress = bridge.BaseUri, Timeout = Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth_token");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("alice:alice-password"u8.ToArray()));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!;
    }

    private static async Task<(WebSocketMessageType Type, string Text)> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var buffer = new byte[64 * 1024];
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return (result.MessageType, Encoding.UTF8.GetString(buffer, 0, result.Count));
    }

    [Fact]
    public async Task StartedFromAnotherDirectory_FindsItsSettings_ListensOnAspNetCoreUrls_AndNeverLogsAToken()
    {
        var workingDirectory = Directory.CreateTempSubdirectory("bridge-cwd-").FullName;
        var port = LoopbackPorts.FreeForRestarts(1)[0];
        var environment = Environment(port, Path.Combine(workingDirectory, "data"));
        // Request lines on, as an operator chasing a problem would turn them on: they must come out redacted.
        environment["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information";
        await using var bridge = await BridgeProcess.StartAsync(workingDirectory, port, environment);

        var token = await TokenAsync(bridge);
        using (var socket = new ClientWebSocket())
        {
            using var timeout = new CancellationTokenSource(Timeout);
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/nodes?token={token}"), timeout.Token);
            await socket.SendAsync("""{"handler":"init"}"""u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
            Assert.Contains("\"session\"", (await ReceiveAsync(socket)).Text, StringComparison.Ordinal);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }

        Assert.Equal(0, await bridge.TerminateAsync(Timeout));
        var output = bridge.Output;
        Assert.DoesNotContain(token, output, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], output, StringComparison.Ordinal);
        Assert.Contains($"/nodes?token={Bridge.Hosting.TokenRedactingLogger.Redacted}", output, StringComparison.Ordinal);
        // The content root is the app's folder, not the working directory, so its appsettings.json was read.
        var appFolder = Path.GetDirectoryName(BridgeProcess.BridgeDll)!;
        Assert.Contains($"Content root path: {appFolder}", output, StringComparison.Ordinal);
        Assert.DoesNotContain($"Content root path: {workingDirectory}", output, StringComparison.Ordinal);
        Assert.Contains($"Now listening on: http://127.0.0.1:{port}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_ClosesEveryClientWith1012AndAReason_ThenExits()
    {
        var workingDirectory = Directory.CreateTempSubdirectory("bridge-drain-").FullName;
        var port = LoopbackPorts.FreeForRestarts(1)[0];
        await using var bridge = await BridgeProcess.StartAsync(workingDirectory, port, Environment(port, Path.Combine(workingDirectory, "data")));
        var token = await TokenAsync(bridge);
        using var timeout = new CancellationTokenSource(Timeout);
        using var channel = new ClientWebSocket();
        await channel.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/nodes?token={token}"), timeout.Token);
        await channel.SendAsync("""{"handler":"init"}"""u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
        Assert.Contains("\"session\"", (await ReceiveAsync(channel)).Text, StringComparison.Ordinal);
        using var ledger = new ClientWebSocket();
        await ledger.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/websocket?token={token}"), timeout.Token);
        Assert.Contains("\"connect\"", (await ReceiveAsync(ledger)).Text, StringComparison.Ordinal);

        var channelClosed = ReceiveAsync(channel);
        var ledgerClosed = ReceiveAsync(ledger);
        bridge.SendSigterm();

        foreach (var (socket, received) in new[] { (channel, channelClosed), (ledger, ledgerClosed) })
        {
            Assert.Equal(WebSocketMessageType.Close, (await received).Type);
            Assert.Equal((WebSocketCloseStatus)1012, socket.CloseStatus);
            Assert.False(string.IsNullOrWhiteSpace(socket.CloseStatusDescription));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }

        Assert.Equal(0, await bridge.WaitForExitAsync(Timeout));
    }
}
