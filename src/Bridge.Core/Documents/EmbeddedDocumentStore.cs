using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Bridge.Broker;
using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Documents;

/// <summary>
/// The default document store: in-memory collections, safe for concurrent use. The seed's collections (the host's
/// demo data, <see cref="IDocumentSeed"/>) are re-created at every start when seeding is on; every other collection is
/// persisted as a JSON-lines log under <c>{DataDirectory}/embedded</c> so that it survives a restart.
/// </summary>
internal sealed partial class EmbeddedDocumentStore : IDocumentStore, IDisposable
{
    /// <summary>Folder under the data directory that holds the persisted collections.</summary>
    public const string FolderName = "embedded";

    private static readonly DependencyStatus ReadyStatus = new(true, "embedded store");

    // A scan reads the filter budget's clock after every document it evaluates, and after every this many that the
    // filter's string equality rules out unread (StringEqualityProbe): tens of nanoseconds each, less than a clock read.
    private const int RuledOutPerBudgetCheck = 64;

    private readonly ConcurrentDictionary<string, EmbeddedCollection> _collections = new(StringComparer.Ordinal);
    private readonly HashSet<string> _seeded = new(StringComparer.Ordinal);
    private readonly Lock _createLock = new();
    private readonly string _directory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly EmbeddedStoreOptions _options;
    private readonly ConcurrentDictionary<(string Collection, string Field), TimeSpan> _ttl = new();
    private ITimer? _ttlTimer;

    public EmbeddedDocumentStore(
        IOptions<EmbeddedStoreOptions> options,
        DataDirectory dataDirectory,
        TimeProvider timeProvider,
        ILogger<EmbeddedDocumentStore> logger,
        IDocumentSeed? seed = null)
        : this(options.Value, dataDirectory.PathFor(FolderName), timeProvider, logger, seed)
    {
    }

    /// <param name="options">Whether to seed.</param>
    /// <param name="directory">Where persisted collections live (created if missing).</param>
    /// <param name="timeProvider">Clock for generated ids and for dating the seed.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="seed">The collections to start with when <paramref name="options"/> says to seed; none when null.</param>
    public EmbeddedDocumentStore(EmbeddedStoreOptions options, string directory, TimeProvider timeProvider, ILogger<EmbeddedDocumentStore> logger, IDocumentSeed? seed = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        Directory.CreateDirectory(directory);

        if (options.Seed && seed is not null)
        {
            foreach (var (name, documents) in seed.Create(timeProvider.GetUtcNow()))
            {
                var collection = new EmbeddedCollection(name, log: null);
                collection.Load(documents.Select(d => KeyValuePair.Create(d["id"]!.GetValue<string>(), ToElement(d))));
                _collections[name] = collection;
                _seeded.Add(name);
            }
        }

        var persisted = 0;
        foreach (var path in Directory.EnumerateFiles(directory, "*" + CollectionLog.Extension).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (!IsValidName(name))
            {
                continue;
            }

            if (_seeded.Contains(name))
            {
                DocumentsLog.PersistedSeededCollectionIgnored(_logger, name, path);
                continue;
            }

            _collections[name] = OpenPersisted(name);
            persisted++;
        }

        DocumentsLog.EmbeddedStoreOpened(_logger, _seeded.Count, persisted, directory);
    }

    public DependencyStatus Status => ReadyStatus;

    /// <summary>The collections that exist now (seeded, loaded or written since start).</summary>
    public IReadOnlyCollection<string> CollectionNames => [.. _collections.Keys.Order(StringComparer.Ordinal)];

    public Task<IReadOnlyList<JsonObject>> FindAsync(string collection, DocumentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        CheckName(collection);
        if (!_collections.TryGetValue(collection, out var documents) || query.Limit == 0)
        {
            return Task.FromResult<IReadOnlyList<JsonObject>>([]);
        }

        if (TryFindById(documents, query.Filter, out var byId))
        {
            // One document at most: sorting it changes nothing, and skipping any leaves none.
            return Task.FromResult<IReadOnlyList<JsonObject>>(byId is null || query.Skip > 0 ? [] : [JsonObject.Create(byId.Value)!]);
        }

        var sorted = query.Sort.Count > 0;
        var wanted = query.Limit is { } limit ? (long)query.Skip + limit : long.MaxValue;
        var matches = new List<JsonObject>();
        foreach (var document in Matching(documents, query.Filter))
        {
            matches.Add(document);
            if (!sorted && matches.Count >= wanted)
            {
                break;
            }
        }

        IEnumerable<JsonObject> ordered = sorted ? Sort(matches, query.Sort) : matches;
        ordered = ordered.Skip(query.Skip);
        if (query.Limit is { } take)
        {
            ordered = ordered.Take(take);
        }

        return Task.FromResult<IReadOnlyList<JsonObject>>([.. ordered]);
    }

    public Task<long> CountAsync(string collection, Filter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        cancellationToken.ThrowIfCancellationRequested();
        CheckName(collection);
        if (!_collections.TryGetValue(collection, out var documents))
        {
            return Task.FromResult(0L);
        }

        if (filter.IsEmpty)
        {
            return Task.FromResult((long)documents.Count);
        }

        if (TryFindById(documents, filter, out var byId))
        {
            return Task.FromResult(byId is null ? 0L : 1L);
        }

        return Task.FromResult(Matching(documents, filter).LongCount());
    }

    /// <remarks>
    /// The id is the document's <c>id</c> string, else its <c>_id</c> string (renamed to <c>id</c>), else a
    /// new ObjectId-shaped one written into <paramref name="document"/>. Throws
    /// <see cref="DuplicateDocumentException"/> when the id is taken.
    /// </remarks>
    public Task InsertAsync(string collection, JsonObject document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        cancellationToken.ThrowIfCancellationRequested();
        CheckName(collection);
        var id = DocumentIds.Assign(document, _timeProvider);

        Write(collection, c => c.Insert(id, ToElement(document)));
        return Task.CompletedTask;
    }

    /// <remarks>The stored document is <paramref name="document"/> with <c>id</c> set to <paramref name="id"/> (and no <c>_id</c>).</remarks>
    public Task UpsertAsync(string collection, string id, JsonObject document, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(document);
        cancellationToken.ThrowIfCancellationRequested();
        CheckName(collection);
        var body = ToElement(document, id);
        Write(collection, c => c.Upsert(id, body));
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string collection, string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        cancellationToken.ThrowIfCancellationRequested();
        CheckName(collection);
        if (!_collections.TryGetValue(collection, out var documents))
        {
            return Task.FromResult(false);
        }

        var deleted = false;
        Write(collection, c => deleted = c.Delete(id));
        return Task.FromResult(deleted);
    }

    /// <remarks>
    /// The embedded store scans instead of indexing (its one index is the id map that a filter on id alone uses), so
    /// only TTL indexes do anything here: like MongoDB's TTL monitor, expired documents are removed by a periodic sweep
    /// (<see cref="EmbeddedStoreOptions.TtlSweepInterval"/>) expired documents stay readable until the sweep, as in MongoDB.
    /// </remarks>
    public Task EnsureIndexAsync(string collection, IndexSpec index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        cancellationToken.ThrowIfCancellationRequested();
        CheckName(collection);
        if (index.ExpireAfter is { } expireAfter)
        {
            if (index.Keys.Count != 1)
            {
                throw new ArgumentException("a TTL index has exactly one key", nameof(index));
            }

            _ttl[(collection, index.Keys[0].Path)] = expireAfter;
            _ttlTimer ??= _timeProvider.CreateTimer(_ => SweepExpired(), null, _options.TtlSweepInterval, _options.TtlSweepInterval);
        }

        return Task.CompletedTask;
    }

    /// <summary>Removes documents past their TTL now (the timer calls this; tests may too).</summary>
    public void SweepExpired()
    {
        var now = _timeProvider.GetUtcNow();
        foreach (var ((collection, field), expireAfter) in _ttl)
        {
            if (!_collections.TryGetValue(collection, out var documents))
            {
                continue;
            }

            var expired = new List<string>();
            foreach (var element in documents.Documents)
            {
                if (element.TryGetProperty(field, out var value)
                    && value.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                    && at + expireAfter <= now
                    && element.TryGetProperty("id", out var id)
                    && id.ValueKind == JsonValueKind.String)
                {
                    expired.Add(id.GetString()!);
                }
            }

            try
            {
                Write(collection, c => expired.ForEach(id => c.Delete(id)));
            }
            catch (StoreUnavailableException)
            {
                // Logged by Write; the next sweep tries again.
            }
        }
    }

    public void Dispose()
    {
        _ttlTimer?.Dispose();
        foreach (var collection in _collections.Values)
        {
            collection.Dispose();
        }
    }

    private void Write(string collection, Action<EmbeddedCollection> change)
    {
        var target = GetOrCreate(collection);
        try
        {
            change(target);
        }
        catch (IOException e)
        {
            DocumentsLog.PersistFailed(_logger, collection, e);
            throw new StoreUnavailableException($"could not persist a change to collection '{collection}'", e);
        }
    }

    private EmbeddedCollection GetOrCreate(string name)
    {
        if (_collections.TryGetValue(name, out var existing))
        {
            return existing;
        }

        // Creating a persisted collection opens a file: make sure only one writer ever does it.
        lock (_createLock)
        {
            return _collections.TryGetValue(name, out existing)
                ? existing
                : _collections[name] = OpenPersisted(name);
        }
    }

    private EmbeddedCollection OpenPersisted(string name)
    {
        var log = CollectionLog.Open(Path.Combine(_directory, name + CollectionLog.Extension), _logger, out var documents);
        var collection = new EmbeddedCollection(name, log);
        collection.Load(documents);
        return collection;
    }

    private static List<JsonObject> Sort(List<JsonObject> documents, IReadOnlyList<SortField> sort)
    {
        var keys = sort.Select(static s => (Path: s.Path.Split('.'), Sign: s.Direction == SortDirection.Descending ? -1 : 1)).ToArray();
        // OrderBy is stable: documents equal on every sort field keep their natural order.
        return [.. documents.OrderBy(static d => d, Comparer<JsonObject>.Create((left, right) =>
        {
            foreach (var (path, sign) in keys)
            {
                var order = JsonSemantics.CompareForSort(JsonSemantics.First(left, path), JsonSemantics.First(right, path));
                if (order != 0)
                {
                    return sign * order;
                }
            }

            return 0;
        }))];
    }

    /// <summary>
    /// The scan: every document of the collection that <paramref name="filter"/> matches, in order, within its
    /// evaluation budget (<see cref="FilterBudgetExceededException"/> once it is spent).
    /// </summary>
    private IEnumerable<JsonObject> Matching(EmbeddedCollection documents, Filter filter)
    {
        var budget = new FilterBudgetClock(filter, _timeProvider);
        var probe = filter.Probe;
        var ruledOut = 0;
        foreach (var element in documents.Documents)
        {
            if (probe is not null && probe.RulesOut(element))
            {
                // Ruling a document out costs less than reading the clock: read it for every 64th.
                if (++ruledOut % RuledOutPerBudgetCheck == 0)
                {
                    budget.Check();
                }

                continue;
            }

            // A fresh node per document: matching materializes only what it reads, and the result
            // belongs to the caller alone.
            var document = JsonObject.Create(element)!;
            var matched = filter.Matches(document);
            budget.Check();
            if (matched)
            {
                yield return document;
            }
        }
    }

    /// <summary>
    /// Answers a filter that is one string equality on <c>id</c> (what a channel's <c>get</c> sends) by looking the id up:
    /// such a filter matches exactly the document stored under that id, while the collection's documents carry their ids
    /// (<see cref="EmbeddedCollection.IdsAreKeys"/>). Returns false when the filter is anything else, and the scan decides.
    /// </summary>
    private static bool TryFindById(EmbeddedCollection documents, Filter filter, out JsonElement? found)
    {
        found = null;
        if (filter.SingleStringEquality is not ("id", var id) || !documents.IdsAreKeys)
        {
            return false;
        }

        if (documents.TryGet(id, out var document))
        {
            found = document;
        }

        return true;
    }

    private static JsonElement ToElement(JsonObject document, string? id = null)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (id is not null)
            {
                writer.WriteString("id", id);
            }

            foreach (var (name, value) in document)
            {
                if (id is not null && name is "id" or "_id")
                {
                    continue;
                }

                writer.WritePropertyName(name);
                if (value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        using var parsed = JsonDocument.Parse(buffer.WrittenMemory);
        return parsed.RootElement.Clone();
    }

    private static void CheckName(string collection)
    {
        ArgumentNullException.ThrowIfNull(collection);
        if (!IsValidName(collection))
        {
            throw new ArgumentException($"'{collection}' is not a valid collection name (letters, digits, '_', '-', '.'; not starting with '.')", nameof(collection));
        }
    }

    // Collection names become file names: keep them to a safe alphabet.
    private static bool IsValidName(string name) => CollectionName().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex CollectionName();
}
