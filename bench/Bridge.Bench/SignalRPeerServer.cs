using System.Globalization;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Bridge.Bench;

/// <summary>
/// The .NET peer (issue 17 §2): what a .NET team would build instead of the bridge, written as the SignalR
/// documentation shows it: <c>AddSignalR</c>, one hub mapped with the WebSockets transport only, the JSON hub
/// protocol (the default), and a hosted RabbitMQ consumer broadcasting to a group through <c>IHubContext</c>.
/// Run as a child process of the bench (<c>serve-signalr --port N --amqp URI</c>), as the bridge is.
/// </summary>
public static class SignalRPeerServer
{
    public const string Command = "serve-signalr";

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Parse(args);
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{settings.Port.ToString(CultureInfo.InvariantCulture)}");
        builder.Services.AddSignalR();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<RabbitGroupBroadcaster>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RabbitGroupBroadcaster>());
        var app = builder.Build();

        app.MapGet("/ready", (RabbitGroupBroadcaster broadcaster) => broadcaster.Consuming ? Results.Ok("ready") : Results.StatusCode(503));
        app.MapHub<BenchHub>(BenchHub.Path, options => options.Transports = HttpTransportType.WebSockets);
        await app.RunAsync();
        return 0;
    }

    private static SignalRPeerSettings Parse(string[] args)
    {
        int? port = null;
        string? amqp = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--port":
                    port = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--amqp":
                    amqp = args[i + 1];
                    break;
                default:
                    throw new ArgumentException($"{Command}: unknown option {args[i]}");
            }
        }

        return port is not null && amqp is not null
            ? new SignalRPeerSettings(port.Value, amqp)
            : throw new ArgumentException($"usage: {Command} --port N --amqp URI");
    }
}
