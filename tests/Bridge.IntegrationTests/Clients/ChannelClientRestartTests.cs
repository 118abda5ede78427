using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Bridge.Client;
using Bridge.Client.Channels;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// Issue 16 §3: the .NET channel client, told by a (fake) bridge that it is restarting (1012), reconnects at once
/// and says why it was disconnected.
/// </summary>
public sealed class ChannelClientRestartTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task After1012_ReconnectsAtOnce_AndReportsTheCloseCode()
    {
        var connections = new List<long>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var fake = builder.Build();
        fake.UseWebSockets();
        fake.Run(async context =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            int number;
            lock (connections)
            {
                connections.Add(Stopwatch.GetTimestamp());
                number = connections.Count;
            }

            var buffer = new byte[4096];
            var init = await socket.ReceiveAsync(buffer, context.RequestAborted);
            Assert.Contains("init", Encoding.UTF8.GetString(buffer, 0, init.Count), StringComparison.Ordinal);
            await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"handler":"session","id":"{{Guid.NewGuid()}}"}"""), WebSocketMessageType.Text, true, context.RequestAborted);
            if (number == 1)
            {
                await socket.CloseOutputAsync((WebSocketCloseStatus)1012, "bridge shutting down; reconnect", context.RequestAborted);
            }

            try
            {
                while (!(await socket.ReceiveAsync(buffer, context.RequestAborted)).CloseStatus.HasValue)
                {
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        });
        await fake.StartAsync().WaitAsync(Timeout);
        var address = fake.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

        // A backoff would wait at least seconds; the reconnection must not.
        await using var client = new BridgeChannelClient(new BridgeChannelClientOptions
        {
            Uri = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/nodes"),
            ReconnectDelay = TimeSpan.FromSeconds(10),
            MaxReconnectDelay = TimeSpan.FromSeconds(10),
        });
        var disconnected = new TaskCompletionSource<ChannelDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnected = new TaskCompletionSource<ChannelReadyEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, args) => disconnected.TrySetResult(args);
        client.Ready += (_, args) =>
        {
            if (args.IsReconnect)
            {
                reconnected.TrySetResult(args);
            }
        };

        await client.ConnectAsync().WaitAsync(Timeout);
        var dropped = await disconnected.Task.WaitAsync(Timeout);
        var ready = await reconnected.Task.WaitAsync(Timeout);

        Assert.Equal(BridgeClosedException.ServiceRestart, dropped.CloseStatus);
        Assert.Equal("bridge shutting down; reconnect", dropped.CloseDescription);
        Assert.True(dropped.WillReconnect);
        Assert.True(ready.IsReconnect);
        long first, second;
        lock (connections)
        {
            (first, second) = (connections[0], connections[1]);
        }

        Assert.True(Stopwatch.GetElapsedTime(first, second) < TimeSpan.FromSeconds(5),
            $"reconnected {Stopwatch.GetElapsedTime(first, second).TotalMilliseconds:F0} ms after the 1012, not at once");
    }
}
