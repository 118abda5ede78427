using System.Net.WebSockets;
using Bridge.Auth;
using Bridge.Observability;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>
/// The life of every WebSocket connection, whatever its protocol: accept with the configured keep-alive,
/// register, run the receive and send loops until the connection ends, remove. A front supplies only what it
/// does with a connection's messages (the session it opens) and what it does once the connection has ended.
/// </summary>
public sealed class ConnectionLifecycle(
    ConnectionRegistry connections,
    IOptions<ConnectionOptions> options,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory)
{
    private readonly ILogger _connectionLogger = loggerFactory.CreateLogger<WebSocketConnection>();

    public ConnectionOptions Options { get; } = options.Value;

    /// <summary>Accepts the upgrade with the configured pings (<c>Bridge:Connections:KeepAlive*</c>).</summary>
    public Task<WebSocket> AcceptAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = Options.KeepAliveInterval,
            KeepAliveTimeout = Options.KeepAliveTimeout,
        });
    }

    /// <summary>
    /// Registers the connection, opens the front's session on it, runs it until it ends (client close, abort,
    /// request aborted, or host shutdown with a close frame), then removes it and lets the front clean up.
    /// </summary>
    /// <param name="context">The upgraded request: its path is logged, its abort ends the connection.</param>
    /// <param name="socket">The socket <see cref="AcceptAsync"/> returned; the caller disposes it.</param>
    /// <param name="path">What the connection is known by (a channel's name, the ledger's path).</param>
    /// <param name="caller">Who authenticated (or <see cref="Caller.Anonymous"/>).</param>
    /// <param name="metrics">The front's instruments.</param>
    /// <param name="open">Creates the front's session; it may queue the first frames (the ledger's <c>connect</c>).</param>
    /// <param name="closed">Runs once the connection has ended and left the registry, whatever ended it.</param>
    public async Task RunAsync<TSession>(
        HttpContext context,
        WebSocket socket,
        string path,
        Caller caller,
        FrontMetrics metrics,
        Func<WebSocketConnection, TSession> open,
        Func<TSession, ValueTask> closed)
        where TSession : IConnectionHandler
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(closed);
        var connection = new WebSocketConnection(socket, path, caller, Options, metrics, _connectionLogger);
        connections.Add(connection);
        ConnectionLog.Opened(_connectionLogger, connection.Id, context.Request.Path, caller.Name);
        TSession? session = default;
        try
        {
            session = open(connection);
            await connection.RunAsync(session, lifetime.ApplicationStopping, context.RequestAborted);
        }
        finally
        {
            connections.Remove(connection);
            if (session is not null)
            {
                await closed(session);
            }
        }
    }
}
