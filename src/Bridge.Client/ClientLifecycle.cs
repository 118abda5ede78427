using System.Net.WebSockets;

namespace Bridge.Client;

/// <summary>
/// A client's life, shared by the channel and ledger clients: new → running (connected, or reconnecting by
/// itself) → closed for good. A client is started once; a failed first connection leaves it new, so that
/// <c>ConnectAsync</c> can be called again; once closed it stays closed. Owns the client's lifetime token
/// (cancelled when it closes) and the task that runs its connections. Thread-safe.
/// </summary>
internal sealed class ClientLifecycle : IDisposable
{
    private const int New = 0;
    private const int Running = 1;
    private const int Closed = 2;

    private readonly CancellationTokenSource _lifetime = new();
    private int _state;
    private Task? _run;

    public bool IsNew => Volatile.Read(ref _state) == New;

    public bool IsRunning => Volatile.Read(ref _state) == Running;

    public bool IsClosed => Volatile.Read(ref _state) == Closed;

    /// <summary>Cancelled when the client closes for good.</summary>
    public CancellationToken Lifetime => _lifetime.Token;

    /// <summary>True once <see cref="Lifetime"/> was cancelled (safe to ask after <see cref="Dispose"/>, unlike the token).</summary>
    public bool IsEnding => _lifetime.IsCancellationRequested;

    /// <summary>
    /// Opens the first connection with <paramref name="establish"/> (its failure is the caller's to see) and
    /// hands it to <paramref name="run"/>, which runs it and the ones after it until <see cref="Lifetime"/> ends.
    /// </summary>
    public async Task StartAsync(
        Func<CancellationToken, Task<(ClientWebSocket Socket, Task Receiving)>> establish,
        Func<ClientWebSocket, Task, CancellationToken, Task> run,
        CancellationToken cancellationToken)
    {
        var previous = Interlocked.CompareExchange(ref _state, Running, New);
        if (previous != New)
        {
            throw new InvalidOperationException(previous == Closed ? "the client was disconnected; create a new one" : "the client is already connected");
        }

        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            var (socket, receiving) = await establish(linked.Token);
            _run = run(socket, receiving, _lifetime.Token);
        }
        catch
        {
            Interlocked.CompareExchange(ref _state, New, Running);
            throw;
        }
    }

    /// <summary>Marks the client closed for good (the caller fails what waits on it); true for the one call that did it.</summary>
    public bool MarkClosed() => Interlocked.Exchange(ref _state, Closed) != Closed;

    /// <summary>
    /// Closes the client for good: cancels <see cref="Lifetime"/>, closes the current connection (best effort,
    /// then aborted) and waits a little for the run loop to end. False when it was closed already.
    /// </summary>
    public async Task<bool> CloseAsync(Func<ClientWebSocket?> currentSocket, CancellationToken cancellationToken)
    {
        if (!MarkClosed())
        {
            return false;
        }

        await _lifetime.CancelAsync();
        var socket = currentSocket();
        if (socket is { State: WebSocketState.Open })
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "client disconnect", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Closing is best effort: the socket is aborted below either way.
            }
        }

        socket?.Abort();
        if (_run is not null)
        {
            try
            {
                await _run.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
                // The run loop ends on the lifetime token.
            }
        }

        return true;
    }

    public void Dispose() => _lifetime.Dispose();
}
