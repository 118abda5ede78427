using System.Text.RegularExpressions;
using Bridge.Auth;
using Bridge.Connections;
using Bridge.Kernel;
using Bridge.Observability;
using Microsoft.Extensions.Options;

namespace Bridge.Channels;

/// <summary>Accepts <c>ws://host/{channel}</c>: authenticates the upgrade, then runs the connection with a channel session.</summary>
public sealed partial class ChannelEndpoint(
    RequestAuthenticator authenticator,
    ChannelRouter router,
    WatchRegistry watches,
    ConnectionRegistry connections,
    IOptions<ChannelOptions> channelOptions,
    IOptions<ConnectionOptions> connectionOptions,
    BridgeMode mode,
    IHostApplicationLifetime lifetime,
    BridgeMetrics metrics,
    ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<ChannelEndpoint>();
    private readonly ILogger _connectionLogger = loggerFactory.CreateLogger<WebSocketConnection>();
    private readonly bool _allowAnonymous = channelOptions.Value.AllowAnonymous ?? mode.IsEmbedded;

    public async Task HandleAsync(HttpContext context, string channel)
    {
        // RackHD's own clients may connect to "/" and name the resource in every message.
        if (channel.Length > 0 && !ChannelName().IsMatch(channel))
        {
            await WriteProblemAsync(context, StatusCodes.Status404NotFound, "NotFoundError", $"'{channel}' is not a channel name");
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, "WebSocketRequired",
                $"/{channel} is a MonoRail channel: connect with a WebSocket client (ws://host/{channel})");
            return;
        }

        var authentication = await authenticator.AuthenticateAsync(context.Request, allowBasic: true);
        Caller caller;
        switch (authentication.Outcome)
        {
            case AuthenticationOutcome.Authenticated:
                caller = authentication.Caller!;
                break;
            case AuthenticationOutcome.NoCredentials when _allowAnonymous:
                caller = Caller.Anonymous;
                break;
            default:
                var reason = authentication.Reason ?? "a token is required (?token= or Authorization: Bearer)";
                ChannelLog.ConnectionRefused(_logger, channel, reason);
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await WriteProblemAsync(context, StatusCodes.Status401Unauthorized, "UnauthorizedError", reason);
                return;
        }

        var options = connectionOptions.Value;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = options.KeepAliveInterval,
            KeepAliveTimeout = options.KeepAliveTimeout,
        });

        var connection = new WebSocketConnection(socket, channel, caller, options, metrics.Channels, _connectionLogger);
        var session = new ChannelSession(connection, channel, router);
        connections.Add(connection);
        ConnectionLog.Opened(_connectionLogger, connection.Id, context.Request.Path, caller.Name);
        try
        {
            await connection.RunAsync(session, lifetime.ApplicationStopping, context.RequestAborted);
        }
        finally
        {
            connections.Remove(connection);
            await session.StopAllAsync(watches);
        }
    }

    private static Task WriteProblemAsync(HttpContext context, int status, string id, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { id, message });
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ChannelName();
}
