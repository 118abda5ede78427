namespace Bridge.Documents.Changes;

/// <summary>The feed of a store without change streams (the embedded store): every subscription falls back to the broker.</summary>
internal sealed class NoChangeFeed : IChangeFeed
{
    public ValueTask<IAsyncDisposable?> SubscribeAsync(string collection, ChangeHandler handler, Action onHistoryLost, Action onUnsupported, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IAsyncDisposable?>(null);

    public Task<bool?> ProbeAsync(string collection, CancellationToken cancellationToken) => Task.FromResult<bool?>(false);
}
