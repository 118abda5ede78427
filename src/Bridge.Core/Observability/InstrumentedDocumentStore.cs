using System.Diagnostics;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Documents;

namespace Bridge.Observability;

/// <summary>
/// Times every operation of the configured store into <c>bridge_store_operation_duration_seconds</c>
/// (<c>store</c>, <c>operation</c>, <c>outcome</c> = ok, unavailable, error), whichever store it is.
/// </summary>
internal sealed class InstrumentedDocumentStore(IDocumentStore inner, string storeName, BridgeMetrics metrics) : IDocumentStore
{
    public IDocumentStore Inner => inner;

    public DependencyStatus Status => inner.Status;

    public Task<IReadOnlyList<JsonObject>> FindAsync(string collection, DocumentQuery query, CancellationToken cancellationToken) =>
        TimeAsync("find", inner.FindAsync(collection, query, cancellationToken));

    public Task<long> CountAsync(string collection, Filter filter, CancellationToken cancellationToken) =>
        TimeAsync("count", inner.CountAsync(collection, filter, cancellationToken));

    public Task InsertAsync(string collection, JsonObject document, CancellationToken cancellationToken) =>
        TimeAsync("insert", inner.InsertAsync(collection, document, cancellationToken));

    public Task UpsertAsync(string collection, string id, JsonObject document, CancellationToken cancellationToken) =>
        TimeAsync("upsert", inner.UpsertAsync(collection, id, document, cancellationToken));

    public Task<bool> DeleteAsync(string collection, string id, CancellationToken cancellationToken) =>
        TimeAsync("delete", inner.DeleteAsync(collection, id, cancellationToken));

    public Task EnsureIndexAsync(string collection, IndexSpec index, CancellationToken cancellationToken) =>
        TimeAsync("ensure_index", inner.EnsureIndexAsync(collection, index, cancellationToken));

    // The operation has already started when it gets here; only its completion is awaited and timed.
    private async Task<T> TimeAsync<T>(string operation, Task<T> running)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        try
        {
            var result = await running;
            outcome = "ok";
            return result;
        }
        catch (StoreUnavailableException)
        {
            outcome = "unavailable";
            throw;
        }
        finally
        {
            metrics.StoreOperation(storeName, operation, outcome, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task TimeAsync(string operation, Task running)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "error";
        try
        {
            await running;
            outcome = "ok";
        }
        catch (StoreUnavailableException)
        {
            outcome = "unavailable";
            throw;
        }
        finally
        {
            metrics.StoreOperation(storeName, operation, outcome, Stopwatch.GetElapsedTime(started));
        }
    }
}
