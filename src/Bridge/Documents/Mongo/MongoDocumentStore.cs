using System.Globalization;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Native.Mongo;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Bridge.Documents.Mongo;

/// <summary>
/// The document store on MongoDB, through the official C driver (<see cref="MongoClientPool"/>). Resources map to
/// collections of <see cref="MongoOptions.Database"/>; see <see cref="MongoDocumentMapping"/> for ids and dates.
/// Every operation runs under one Polly pipeline (a circuit breaker around a per-operation timeout): with
/// MongoDB down a request fails with <see cref="StoreUnavailableException"/> within the timeout, or at once while
/// the circuit is open, and the store recovers by itself when MongoDB is back.
/// </summary>
public sealed class MongoDocumentStore : IDocumentStore, IDisposable
{
    private readonly MongoClientPool _pool;
    private readonly MongoOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ResiliencePipeline _pipeline;
    private readonly string _database;

    // Enough for the concurrent queries of many UIs against a healthy server (each call takes milliseconds);
    // during an outage, calls beyond these wait their turn and their callers time out as they should.
    private readonly NativeCallThreads _nativeCalls = new(16, "libmongoc");
    private volatile StatusSnapshot _status;

    public MongoDocumentStore(IOptions<MongoOptions> options, TimeProvider timeProvider, ILogger<MongoDocumentStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _timeProvider = timeProvider;
        _database = _options.Database;
        Address = DescribeAddress(_options.Uri!);
        // The driver refuses (and logs) a second appname: name the connections only when the URI does not.
        var appName = _options.Uri!.Contains("appname=", StringComparison.OrdinalIgnoreCase) ? null : "bridge";
        _pool = MongoClientPool.Create(WithDriverTimeouts(_options.Uri!, _options.OperationTimeout), appName);
        _status = new StatusSnapshot(false, $"MongoDB at {Address}: not checked yet");

        _pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Only "the server is not there" trips the breaker; a refused query is the client's problem.
                ShouldHandle = new PredicateBuilder()
                    .Handle<MongoException>(static e => e.IsConnectivityError)
                    .Handle<TimeoutRejectedException>(),
                FailureRatio = _options.BreakerFailureRatio,
                MinimumThroughput = _options.BreakerMinimumThroughput,
                SamplingDuration = _options.BreakerSamplingDuration,
                BreakDuration = _options.BreakDuration,
                OnOpened = args =>
                {
                    MongoLog.CircuitOpened(_logger, args.BreakDuration);
                    return default;
                },
                OnClosed = _ =>
                {
                    MongoLog.CircuitClosed(_logger);
                    return default;
                },
            })
            .AddTimeout(_options.OperationTimeout)
            .Build();
        MongoLog.StoreCreated(_logger, _database, Address, _options.OperationTimeout);
    }

    /// <summary>Where the store points (host list, no credentials).</summary>
    public string Address { get; }

    public DependencyStatus Status
    {
        get
        {
            var status = _status;
            return new DependencyStatus(status.IsReady, status.Description);
        }
    }

    /// <summary>The binding under the store, for seeding and diagnostics.</summary>
    public MongoClientPool Pool => _pool;

    public async Task<IReadOnlyList<JsonObject>> FindAsync(string collection, DocumentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        CheckName(collection);
        if (query.Limit == 0)
        {
            return [];
        }

        var filter = MongoDocumentMapping.ToQuery(query.Filter);
        var optionsJson = MongoDocumentMapping.ToFindOptions(query);
        var database = _database;
        try
        {
            var documents = await RunAsync(pool => pool.FindAll(database, collection, filter, optionsJson), cancellationToken);
            return [.. documents.Select(MongoDocumentMapping.FromStored)];
        }
        catch (MongoException e) when (e.Code == MongoDocumentMapping.MaxTimeExpiredCode && query.Filter.EvaluationBudget is { } budget)
        {
            // The server ran out of the filter's budget (maxTimeMS): the same answer as the embedded store's.
            throw new FilterBudgetExceededException(budget);
        }
    }

    public Task<long> CountAsync(string collection, Filter filter, CancellationToken cancellationToken)
    {
        CheckName(collection);
        var query = MongoDocumentMapping.ToQuery(filter);
        var database = _database;
        return RunAsync(pool => pool.Count(database, collection, query), cancellationToken);
    }

    /// <remarks>
    /// The id is the document's <c>id</c>, else its <c>_id</c>, else a new ObjectId written into <paramref name="document"/>.
    /// Throws <see cref="DuplicateDocumentException"/> when the id is taken.
    /// </remarks>
    public async Task InsertAsync(string collection, JsonObject document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        CheckName(collection);
        var id = DocumentIds.Assign(document, _timeProvider);

        var stored = MongoDocumentMapping.ToStored(document, id);
        var database = _database;
        try
        {
            await RunAsync(pool => pool.InsertOne(database, collection, stored), cancellationToken);
        }
        catch (MongoException e) when (e.Code == MongoException.DuplicateKeyCode)
        {
            throw new DuplicateDocumentException(collection, id);
        }
    }

    /// <remarks>
    /// An existing document keeps the form of its <c>_id</c> (ObjectId or string); a new one gets the stored form
    /// of <paramref name="id"/> (an ObjectId when it is 24 hex digits).
    /// </remarks>
    public async Task UpsertAsync(string collection, string id, JsonObject document, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(document);
        CheckName(collection);
        var database = _database;
        var isObjectId = MongoDocumentMapping.IsObjectIdHex(id);
        var stored = MongoDocumentMapping.ToStored(document, id);
        await RunAsync(pool =>
        {
            if (isObjectId)
            {
                // A string _id that looks like an ObjectId is replaced in place: _id itself may never change.
                var asString = StoredWithStringId(stored, id);
                var stringSelector = new JsonObject { ["_id"] = id }.ToJsonString();
                if (MatchedCount(pool.ReplaceOne(database, collection, stringSelector, asString)) > 0)
                {
                    return 0;
                }
            }

            var selector = new JsonObject { ["_id"] = JsonNode.Parse(stored)!["_id"]!.DeepClone() }.ToJsonString();
            pool.ReplaceOne(database, collection, selector, stored, """{"upsert":true}""");
            return 0;
        }, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string collection, string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        CheckName(collection);
        var database = _database;
        var selector = MongoDocumentMapping.IdSelector(id);
        var reply = await RunAsync(pool => pool.DeleteOne(database, collection, selector), cancellationToken);
        return DeletedCount(reply) > 0;
    }

    public async Task<long> DeleteManyAsync(string collection, Filter filter, CancellationToken cancellationToken)
    {
        CheckName(collection);
        var query = MongoDocumentMapping.ToQuery(filter);
        var database = _database;
        var reply = await RunAsync(pool => pool.DeleteMany(database, collection, query), cancellationToken);
        return DeletedCount(reply);
    }

    /// <remarks>A TTL index becomes MongoDB's own (<c>expireAfterSeconds</c>, whole seconds, at least 0): its monitor removes expired documents.</remarks>
    public async Task EnsureIndexAsync(string collection, IndexSpec index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        CheckName(collection);
        if (index.Keys.Count == 0 || (index.ExpireAfter is not null && index.Keys.Count != 1))
        {
            throw new ArgumentException(index.Keys.Count == 0 ? "an index needs at least one key" : "a TTL index has exactly one key", nameof(index));
        }

        var spec = new JsonObject
        {
            ["key"] = JsonNode.Parse(MongoDocumentMapping.ToSort(index.Keys)),
            ["name"] = index.Name,
        };
        if (index.ExpireAfter is { } expireAfter)
        {
            spec["expireAfterSeconds"] = (long)Math.Max(0, Math.Ceiling(expireAfter.TotalSeconds));
        }

        if (index.Unique)
        {
            spec["unique"] = true;
        }

        var indexes = new JsonArray(spec).ToJsonString();
        var database = _database;
        await RunAsync(pool => pool.CreateIndexes(database, collection, indexes), cancellationToken);
    }

    /// <summary>Sends <c>{ping: 1}</c> outside the circuit breaker and records the outcome in <see cref="Status"/>.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.OperationTimeout);
        try
        {
            await RunNativeAsync(static pool => pool.RunCommand("admin", """{"ping":1}"""), timeout.Token);
            MarkReachable();
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            MarkUnreachable($"no answer to ping within {_options.OperationTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
            return false;
        }
        catch (MongoException e)
        {
            MarkUnreachable(e.DriverMessage);
            return false;
        }
    }

    public void Dispose()
    {
        _nativeCalls.Dispose();
        _pool.Dispose();
    }

    /// <summary>The one place where blocking driver calls leave the request path and meet the resilience pipeline.</summary>
    private async Task<T> RunAsync<T>(Func<MongoClientPool, T> operation, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _pipeline.ExecuteAsync(
                static async (state, ct) => await state.self.RunNativeAsync(state.operation, ct),
                (operation, self: this),
                cancellationToken);
            MarkReachable();
            return result;
        }
        catch (BrokenCircuitException e)
        {
            throw new StoreUnavailableException($"MongoDB at {Address} failed recently; retrying after a pause", e);
        }
        catch (TimeoutRejectedException e)
        {
            MarkUnreachable("an operation timed out");
            throw new StoreUnavailableException($"MongoDB at {Address} did not answer within {_options.OperationTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", e);
        }
        catch (MongoException e) when (e.IsConnectivityError)
        {
            MarkUnreachable(e.DriverMessage);
            throw new StoreUnavailableException($"MongoDB at {Address} is unreachable: {e.DriverMessage}", e);
        }
    }

    /// <remarks>
    /// The caller stops waiting when <paramref name="cancellationToken"/> fires; the native call itself cannot be
    /// interrupted and ends by the driver's own timeouts (serverSelectionTimeoutMS, socketTimeoutMS in the URI).
    /// </remarks>
    private Task<T> RunNativeAsync<T>(Func<MongoClientPool, T> operation, CancellationToken cancellationToken) =>
        _nativeCalls.RunAsync(() => operation(_pool)).WaitAsync(cancellationToken);

    private void MarkReachable()
    {
        if (!_status.IsReady)
        {
            _status = new StatusSnapshot(true, $"MongoDB at {Address}, database {_database}");
            MongoLog.Reachable(_logger, Address);
        }
    }

    private void MarkUnreachable(string reason)
    {
        var wasReady = _status.IsReady;
        _status = new StatusSnapshot(false, $"MongoDB at {Address} is unreachable: {reason}");
        if (wasReady)
        {
            MongoLog.Unreachable(_logger, Address, reason);
        }
    }

    /// <summary>
    /// libmongoc waits 30 s for a server by default; the bridge must answer within <see cref="MongoOptions.OperationTimeout"/>,
    /// so unless the URI says otherwise the driver gives up a little before that.
    /// </summary>
    internal static string WithDriverTimeouts(string uri, TimeSpan operationTimeout)
    {
        // Half the timeout: a retried read (libmongoc retries once, selecting a server again) still ends in time.
        var selection = (long)Math.Clamp(operationTimeout.TotalMilliseconds * 0.5, 100, 1000);
        var wanted = new (string Name, long Value)[]
        {
            ("serverSelectionTimeoutMS", selection),
            ("connectTimeoutMS", selection),
            ("socketTimeoutMS", (long)operationTimeout.TotalMilliseconds + 3000),
        };
        var result = uri;
        foreach (var (name, value) in wanted)
        {
            if (result.Contains(name + "=", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var afterScheme = result.IndexOf("://", StringComparison.Ordinal) + 3;
            var separator = result.Contains('?', StringComparison.Ordinal) ? "&"
                : result.IndexOf('/', afterScheme) >= 0 ? "?" : "/?";
            if (result.EndsWith('?') || result.EndsWith('&'))
            {
                separator = "";
            }

            result += string.Create(CultureInfo.InvariantCulture, $"{separator}{name}={value}");
        }

        return result;
    }

    private static string DescribeAddress(string uri)
    {
        var rest = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            rest = rest[(at + 1)..];
        }

        var end = rest.IndexOfAny(['/', '?']);
        return end >= 0 ? rest[..end] : rest;
    }

    private static string StoredWithStringId(string stored, string id)
    {
        var document = JsonNode.Parse(stored)!.AsObject();
        document["_id"] = id;
        return document.ToJsonString();
    }

    private static long MatchedCount(string reply) => ReadCount(reply, "matchedCount");

    private static long DeletedCount(string reply) => ReadCount(reply, "deletedCount");

    private static long ReadCount(string reply, string field) =>
        JsonNode.Parse(reply)?[field] is JsonValue value && value.TryGetValue<long>(out var count) ? count : 0;

    private static void CheckName(string collection)
    {
        ArgumentException.ThrowIfNullOrEmpty(collection);
        if (collection.StartsWith("system.", StringComparison.Ordinal) || collection.Contains('$', StringComparison.Ordinal) || collection.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{collection}' is not a collection name the bridge may use", nameof(collection));
        }
    }

    private sealed record StatusSnapshot(bool IsReady, string Description);
}
