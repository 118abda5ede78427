using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Text;
using Bridge.Auth;
using Bridge.Connections;
using Bridge.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.UnitTests.Connections;

/// <summary>
/// A <see cref="WebSocketConnection"/> over a scripted socket, with real metrics, started as Kestrel starts it: what
/// the connection tests share (the send queue's, the inline send's and the receive side's).
/// </summary>
internal sealed class ConnectionRig : IDisposable
{
    /// <summary>How long a test waits for anything the connection must do at once (generous: the machine may be loaded).</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public WebSocketConnection Connection(WebSocket socket, int capacity = 4096, TimeSpan? closeTimeout = null)
    {
        var metrics = new BridgeMetrics(_services.GetRequiredService<IMeterFactory>());
        var options = new ConnectionOptions { SendQueueCapacity = capacity, CloseTimeout = closeTimeout ?? TimeSpan.FromSeconds(2) };
        return new WebSocketConnection(socket, "/test", Caller.Anonymous, options, metrics.Channels, NullLogger.Instance);
    }

    /// <summary>
    /// Runs the connection with no synchronization context, as Kestrel does: xunit's would take every continuation of
    /// the connection's loops onto its own threads.
    /// </summary>
    public static Task Run(WebSocketConnection connection, CancellationToken requestAborted = default)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return connection.RunAsync(new IgnoringHandler(), CancellationToken.None, requestAborted);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    public static ReadOnlyMemory<byte> Frame(string text) => Encoding.UTF8.GetBytes(text);

    public void Dispose() => _services.Dispose();

    private sealed class IgnoringHandler : IConnectionHandler
    {
        public ValueTask HandleMessageAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
