using System.Collections.Immutable;
using System.Text.Json;

namespace Bridge.Documents;

/// <summary>
/// One collection of the embedded store. Readers take the current immutable snapshot without locking;
/// writers serialize on a lock, persist first (when the collection is durable), then publish a new
/// snapshot. Documents are held as immutable <see cref="JsonElement"/>s, so nothing a caller does to a
/// returned <see cref="System.Text.Json.Nodes.JsonObject"/> reaches the store.
/// </summary>
internal sealed class EmbeddedCollection(string name, CollectionLog? log) : IDisposable
{
    private readonly Lock _writeLock = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private volatile bool _idsAreKeys = true;

    public string Name { get; } = name;

    /// <summary>The documents in insertion order, as of now.</summary>
    public IEnumerable<JsonElement> Documents => _snapshot.ByOrder.Values;

    public int Count => _snapshot.ByOrder.Count;

    /// <summary>
    /// True while every document's own <c>id</c> is the string it is stored under, so that <see cref="TryGet"/> answers
    /// a filter on <c>id</c> alone. The store's writes keep it so (<see cref="DocumentIds.Assign"/>, and an upsert writes
    /// its id into the document); only a log edited by hand can break it, and then the collection is scanned instead.
    /// </summary>
    public bool IdsAreKeys => _idsAreKeys;

    /// <summary>The document stored under <paramref name="id"/>, as of now.</summary>
    public bool TryGet(string id, out JsonElement document)
    {
        var snapshot = _snapshot;
        if (snapshot.OrderById.TryGetValue(id, out var order))
        {
            document = snapshot.ByOrder[order];
            return true;
        }

        document = default;
        return false;
    }

    public void Load(IEnumerable<KeyValuePair<string, JsonElement>> documents)
    {
        lock (_writeLock)
        {
            var snapshot = _snapshot;
            foreach (var (id, body) in documents)
            {
                if (!(body.TryGetProperty("id", out var ownId) && ownId.ValueKind == JsonValueKind.String && ownId.ValueEquals(id)))
                {
                    _idsAreKeys = false;
                }

                snapshot = snapshot.Put(id, body);
            }

            _snapshot = snapshot;
        }
    }

    public void Insert(string id, JsonElement body)
    {
        lock (_writeLock)
        {
            if (_snapshot.OrderById.ContainsKey(id))
            {
                throw new DuplicateDocumentException(Name, id);
            }

            log?.AppendInsert(id, body);
            _snapshot = _snapshot.Put(id, body);
        }
    }

    public void Upsert(string id, JsonElement body)
    {
        lock (_writeLock)
        {
            log?.AppendUpsert(id, body);
            _snapshot = _snapshot.Put(id, body);
        }
    }

    public bool Delete(string id)
    {
        lock (_writeLock)
        {
            if (!_snapshot.OrderById.ContainsKey(id))
            {
                return false;
            }

            log?.AppendDelete(id);
            _snapshot = _snapshot.Remove(id);
            return true;
        }
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            log?.Dispose();
        }
    }

    private sealed record Snapshot(
        ImmutableSortedDictionary<long, JsonElement> ByOrder,
        ImmutableDictionary<string, long> OrderById,
        long NextOrder)
    {
        public static Snapshot Empty { get; } = new(
            ImmutableSortedDictionary<long, JsonElement>.Empty,
            ImmutableDictionary.Create<string, long>(StringComparer.Ordinal),
            0);

        /// <summary>Inserts at the end, or replaces in place (a replaced document keeps its position, as in MongoDB).</summary>
        public Snapshot Put(string id, JsonElement body) => OrderById.TryGetValue(id, out var order)
            ? this with { ByOrder = ByOrder.SetItem(order, body) }
            : new Snapshot(ByOrder.Add(NextOrder, body), OrderById.Add(id, NextOrder), NextOrder + 1);

        public Snapshot Remove(string id) => this with
        {
            ByOrder = ByOrder.Remove(OrderById[id]),
            OrderById = OrderById.Remove(id),
        };
    }
}
