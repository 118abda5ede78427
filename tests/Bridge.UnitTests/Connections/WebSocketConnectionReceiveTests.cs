using System.Net.WebSockets;
using Bridge.Connections;
using Bridge.IntegrationTests.Infrastructure;

using static Bridge.UnitTests.Connections.ConnectionRig;

namespace Bridge.UnitTests.Connections;

/// <summary>
/// The receive side's token plumbing (issue 17, memory per idle connection): an idle connection's pending receive
/// holds no cancellation registration, and everything that used to end it through its token still ends it: the
/// request's abort, <see cref="WebSocketConnection.Abort"/>, and the close handshake's timeout.
/// </summary>
public sealed class WebSocketConnectionReceiveTests : IDisposable
{
    // Short, so that the test of the close timeout does not wait long.
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromMilliseconds(500);

    private readonly ConnectionRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task AnIdleConnectionsPendingReceive_TakesNoCancelableToken()
    {
        var socket = new ScriptedWebSocket();
        var run = Run(_rig.Connection(socket, closeTimeout: CloseTimeout));
        await WaitUntil.TrueAsync(() => !socket.ReceiveTokensCancelable.IsEmpty, "the receive loop to wait for a message");

        // A cancelable token makes ManagedWebSocket and Kestrel's request pipe register on it for as long as the
        // receive waits: two callback nodes per idle connection.
        Assert.All(socket.ReceiveTokensCancelable, Assert.False);

        socket.CloseFromClient();
        await run.WaitAsync(Bound);
    }

    [Fact]
    public async Task TheRequestsAbort_EndsAPendingReceive_ByAbortingTheSocket()
    {
        var socket = new ScriptedWebSocket();
        using var requestAborted = new CancellationTokenSource();
        var run = Run(_rig.Connection(socket, closeTimeout: CloseTimeout), requestAborted.Token);
        await WaitUntil.TrueAsync(() => !socket.ReceiveTokensCancelable.IsEmpty, "the receive loop to wait for a message");

        await requestAborted.CancelAsync();
        await run.WaitAsync(Bound);
        Assert.Equal(WebSocketState.Aborted, socket.State);
    }

    [Fact]
    public async Task Abort_EndsAPendingReceive()
    {
        var socket = new ScriptedWebSocket();
        var connection = _rig.Connection(socket, closeTimeout: CloseTimeout);
        var run = Run(connection, CancellationToken.None);
        await WaitUntil.TrueAsync(() => !socket.ReceiveTokensCancelable.IsEmpty, "the receive loop to wait for a message");

        connection.Abort();
        await run.WaitAsync(Bound);
        Assert.Equal(WebSocketState.Aborted, socket.State);
    }

    [Fact]
    public async Task AClientThatNeverAnswersTheServersClose_IsAbortedAfterTheCloseTimeout()
    {
        var socket = new ScriptedWebSocket();
        var connection = _rig.Connection(socket, closeTimeout: CloseTimeout);
        var run = Run(connection, CancellationToken.None);
        await WaitUntil.TrueAsync(() => !socket.ReceiveTokensCancelable.IsEmpty, "the receive loop to wait for a message");

        connection.BeginClose(WebSocketCloseStatus.PolicyViolation, "test");
        await WaitUntil.TrueAsync(() => socket.State == WebSocketState.CloseSent, "the server's close frame");

        // The client never answers: only the close timeout (0.5 s here) can end the pending receive.
        await run.WaitAsync(Bound);
        Assert.Equal(WebSocketState.Aborted, socket.State);
    }
}
