using System.Net.WebSockets;

namespace Bridge.Client;

/// <summary>
/// A client's life, shared by the channel and ledger clients: new → running (connected, or reconnecting by
/// itself) → closed for good. A client is started once; a failed first connection leaves it new, so that
/// <c>ConnectAsync</c> can be called again; once closed it stays closed. Thread-safe.
/// </summary>
internal sealed class ClientLifecycle
{
    private const int New = 0;
    private const int Running = 1;
    private const int Closed = 2;

    private int _state;

    public bool IsNew => Volatile.Read(ref _state) == New;

    public bool IsRunning => Volatile.Read(ref _state) == Running;

    public bool IsClosed => Volatile.Read(ref _state) == Closed;

    /// <summary>
    /// Opens the first connection with <paramref name="establish"/> (its failure is the caller's to see) and
    /// hands it to <paramref name="run"/>, whose task is returned.
    /// </summary>
    public async Task<Task> StartAsync(
        Func<CancellationToken, Task<(ClientWebSocket Socket, Task Receiving)>> establish,
        Func<ClientWebSocket, Task, Task> run,
        CancellationToken lifetime,
        CancellationToken cancellationToken)
    {
        var previous = Interlocked.CompareExchange(ref _state, Running, New);
        if (previous != New)
        {
            throw new InvalidOperationException(previous == Closed ? "the client was disconnected; create a new one" : "the client is already connected");
        }

        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime);
            var (socket, receiving) = await establish(linked.Token);
            return run(socket, receiving);
        }
        catch
        {
            Interlocked.CompareExchange(ref _state, New, Running);
            throw;
        }
    }

    /// <summary>Closes the client for good; true for the one call that did it.</summary>
    public bool Close() => Interlocked.Exchange(ref _state, Closed) != Closed;
}
