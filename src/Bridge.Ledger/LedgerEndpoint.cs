using System.Net.WebSockets;
using Bridge.Auth;
using Bridge.Connections;
using Bridge.Observability;
using Microsoft.Extensions.Options;

namespace Bridge.Ledger;

/// <summary>
/// Accepts <c>ws://host/websocket</c>, the five-bells-ledger notification socket. As five-bells does, a
/// connection without valid credentials is accepted and closed at once (1000) and never sees <c>connect</c>;
/// an authenticated one gets <c>connect</c> first, then answers to its requests and its notifications.
/// </summary>
internal sealed class LedgerEndpoint(
    RequestAuthenticator authenticator,
    LedgerUris uris,
    LedgerSubscriptions subscriptions,
    ConnectionLifecycle lifecycle,
    IOptions<LedgerOptions> ledgerOptions,
    BridgeMetrics metrics,
    ILoggerFactory loggerFactory)
{
    public const string Path = "/websocket";

    private readonly ILogger _logger = loggerFactory.CreateLogger<LedgerEndpoint>();
    private readonly ILogger _sessionLogger = loggerFactory.CreateLogger<LedgerRpcSession>();

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new ApiError("WebSocketRequired",
                "/websocket is the ledger notification socket: connect with a WebSocket client"));
            return;
        }

        var authentication = await authenticator.AuthenticateAsync(context.Request, allowBasic: true);
        using var socket = await lifecycle.AcceptAsync(context);
        if (authentication.Outcome != AuthenticationOutcome.Authenticated)
        {
            LedgerLog.ConnectionRefused(_logger, authentication.Reason ?? "no credentials (?token=, Authorization: Bearer or Basic)");
            await CloseUnauthenticatedAsync(socket, lifecycle.Options.CloseTimeout);
            return;
        }

        await lifecycle.RunAsync(context, socket, Path, authentication.Caller!, metrics.Ledger,
            connection =>
            {
                var session = new LedgerRpcSession(connection, uris, subscriptions, ledgerOptions.Value.StrictFiveBells, _sessionLogger);
                connection.TrySend(RpcFrames.Connect);
                return session;
            },
            static session =>
            {
                session.Close();
                return ValueTask.CompletedTask;
            });
    }

    private static async Task CloseUnauthenticatedAsync(WebSocket socket, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancellation.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
        {
            socket.Abort();
        }
    }
}
