using System.Text.RegularExpressions;
using Bridge.Auth;
using Bridge.Connections;
using Bridge.Kernel;
using Bridge.Observability;
using Microsoft.Extensions.Options;

namespace Bridge.Channels;

/// <summary>Accepts <c>ws://host/{channel}</c>: authenticates the upgrade, then runs the connection with a channel session.</summary>
internal sealed partial class ChannelEndpoint(
    RequestAuthenticator authenticator,
    ChannelRouter router,
    WatchRegistry watches,
    ConnectionLifecycle lifecycle,
    IOptions<ChannelOptions> channelOptions,
    BridgeMode mode,
    BridgeMetrics metrics,
    ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<ChannelEndpoint>();
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

        using var socket = await lifecycle.AcceptAsync(context);
        await lifecycle.RunAsync(context, socket, channel, caller, metrics.Channels,
            connection =>
            {
                // The channel names the connection's default resource: broadcasts to that resource reach it.
                if (channel.Length > 0)
                {
                    connection.Join(channel);
                }

                return new ChannelSession(connection, channel, router);
            },
            session => session.StopAllAsync(watches));
    }

    private static Task WriteProblemAsync(HttpContext context, int status, string id, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { id, message });
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ChannelName();
}
