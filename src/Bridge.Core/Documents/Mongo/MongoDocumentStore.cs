using System.Globalization;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Driver;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Bridge.Documents.Mongo;

/// <summary>
/// The document store on MongoDB, through the official .NET driver (its own connection pool and server
/// selection). Resources map to collections of <see cref="MongoOptions.Database"/>; see
/// <see cref="MongoDocumentMapping"/> for ids and dates and <see cref="MongoFilterTranslation"/> for filters.
/// Every operation runs under one Polly pipeline (a circuit breaker around a per-operation timeout whose token the
/// driver honours): with MongoDB down a request fails with <see cref="StoreUnavailableException"/> within the
/// timeout, or at once while the circuit is open, and the store recovers by itself when MongoDB is back.
/// </summary>
public sealed class MongoDocumentStore : IDocumentStore, IDisposable
{
    private readonly MongoClient _client;
    private readonly IMongoDatabase _database;
    private readonly MongoOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ResiliencePipeline _pipeline;
    private volatile StatusSnapshot _status;

    public MongoDocumentStore(IOptions<MongoOptions> options, TimeProvider timeProvider, ILogger<MongoDocumentStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _timeProvider = timeProvider;
        Address = DescribeAddress(_options.Uri!);
        var settings = MongoClientSettings.FromConnectionString(WithDriverTimeouts(_options.Uri!, _options.OperationTimeout));
        settings.ApplicationName ??= "bridge";
        _client = new MongoClient(settings);
        _database = _client.GetDatabase(_options.Database);
        _status = new StatusSnapshot(false, $"MongoDB at {Address}: not checked yet");

        _pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Only "the server is not there" trips the breaker; a refused query is the client's problem.
                ShouldHandle = new PredicateBuilder()
                    .Handle<Exception>(IsConnectivityError)
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
        MongoLog.StoreCreated(_logger, _options.Database, Address, _options.OperationTimeout);
    }

    /// <summary>Where the store points (host list, no credentials).</summary>
    public string Address { get; }

    /// <summary>The database the collections live in, for change streams and diagnostics.</summary>
    public IMongoDatabase Database => _database;

    public DependencyStatus Status
    {
        get
        {
            var status = _status;
            return new DependencyStatus(status.IsReady, status.Description);
        }
    }

    public async Task<IReadOnlyList<JsonObject>> FindAsync(string collection, DocumentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var target = Collection(collection);
        if (query.Limit == 0)
        {
            return [];
        }

        var filter = MongoFilterTranslation.ToQuery(query.Filter);
        var options = MongoDocumentMapping.ToFindOptions(query);
        try
        {
            var documents = await RunAsync(
                static async (state, ct) =>
                {
                    using var cursor = await state.target.FindAsync(state.filter, state.options, ct);
                    return await cursor.ToListAsync(ct);
                },
                (target, filter, options),
                cancellationToken);
            return [.. documents.Select(MongoDocumentMapping.FromStored)];
        }
        catch (MongoExecutionTimeoutException) when (query.Filter.EvaluationBudget is { } budget)
        {
            // The server ran out of the filter's budget (maxTimeMS): the same answer as the embedded store's.
            throw new FilterBudgetExceededException(budget);
        }
    }

    public Task<long> CountAsync(string collection, Filter filter, CancellationToken cancellationToken)
    {
        var target = Collection(collection);
        var query = MongoFilterTranslation.ToQuery(filter);
        return RunAsync(
            static (state, ct) => new ValueTask<long>(state.target.CountDocumentsAsync(state.query, cancellationToken: ct)),
            (target, query),
            cancellationToken);
    }

    /// <remarks>
    /// The id is the document's <c>id</c>, else its <c>_id</c>, else a new ObjectId written into <paramref name="document"/>.
    /// Throws <see cref="DuplicateDocumentException"/> when the id is taken.
    /// </remarks>
    public async Task InsertAsync(string collection, JsonObject document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var target = Collection(collection);
        var id = DocumentIds.Assign(document, _timeProvider);
        var stored = MongoDocumentMapping.ToStored(document, id);
        try
        {
            await RunAsync(
                static async (state, ct) =>
                {
                    await state.target.InsertOneAsync(state.stored, cancellationToken: ct);
                    return true;
                },
                (target, stored),
                cancellationToken);
        }
        catch (MongoWriteException e) when (e.WriteError?.Category == ServerErrorCategory.DuplicateKey)
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
        var target = Collection(collection);
        var stored = MongoDocumentMapping.ToStored(document, id);
        await RunAsync(
            static async (state, ct) =>
            {
                if (MongoDocumentMapping.IsObjectIdHex(state.id))
                {
                    // A string _id that looks like an ObjectId is replaced in place: _id itself may never change.
                    var asString = state.stored.DeepClone().AsBsonDocument;
                    asString["_id"] = state.id;
                    var replaced = await state.target.ReplaceOneAsync(new BsonDocument("_id", state.id), asString, cancellationToken: ct);
                    if (replaced.MatchedCount > 0)
                    {
                        return true;
                    }
                }

                await state.target.ReplaceOneAsync(new BsonDocument("_id", state.stored["_id"]), state.stored, new ReplaceOptions { IsUpsert = true }, ct);
                return true;
            },
            (target, stored, id),
            cancellationToken);
    }

    public async Task<bool> DeleteAsync(string collection, string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var target = Collection(collection);
        var selector = MongoDocumentMapping.IdSelector(id);
        var result = await RunAsync(
            static (state, ct) => new ValueTask<DeleteResult>(state.target.DeleteOneAsync(state.selector, ct)),
            (target, selector),
            cancellationToken);
        return result.DeletedCount > 0;
    }

    /// <remarks>A TTL index becomes MongoDB's own (<c>expireAfterSeconds</c>, whole seconds, at least 0): its monitor removes expired documents.</remarks>
    public async Task EnsureIndexAsync(string collection, IndexSpec index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        var target = Collection(collection);
        if (index.Keys.Count == 0 || (index.ExpireAfter is not null && index.Keys.Count != 1))
        {
            throw new ArgumentException(index.Keys.Count == 0 ? "an index needs at least one key" : "a TTL index has exactly one key", nameof(index));
        }

        var options = new CreateIndexOptions
        {
            Name = index.Name,
            ExpireAfter = index.ExpireAfter is { } expireAfter ? TimeSpan.FromSeconds(Math.Max(0, Math.Ceiling(expireAfter.TotalSeconds))) : null,
            Unique = index.Unique ? true : null,
        };
        var model = new CreateIndexModel<BsonDocument>(MongoDocumentMapping.ToSort(index.Keys), options);
        await RunAsync(
            static (state, ct) => new ValueTask<string>(state.target.Indexes.CreateOneAsync(state.model, cancellationToken: ct)),
            (target, model),
            cancellationToken);
    }

    /// <summary>Sends <c>{ping: 1}</c> outside the circuit breaker and records the outcome in <see cref="Status"/>.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.OperationTimeout);
        try
        {
            await _client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: timeout.Token);
            MarkReachable();
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            MarkUnreachable($"no answer to ping within {Seconds(_options.OperationTimeout)} s");
            return false;
        }
        catch (Exception e) when (IsConnectivityError(e) || e is MongoException)
        {
            MarkUnreachable(e.Message);
            return false;
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>True when the error says the server could not be reached (rather than refusing the operation).</summary>
    internal static bool IsConnectivityError(Exception e) =>
        e is MongoConnectionException or TimeoutException or MongoNotPrimaryException or MongoNodeIsRecoveringException
        || (e is OperationCanceledException && e.InnerException is MongoConnectionException);

    /// <summary>The one place where driver calls meet the resilience pipeline and its errors become the store's.</summary>
    private async Task<T> RunAsync<T, TState>(Func<TState, CancellationToken, ValueTask<T>> operation, TState state, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _pipeline.ExecuteAsync(operation, state, cancellationToken);
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
            throw new StoreUnavailableException($"MongoDB at {Address} did not answer within {Seconds(_options.OperationTimeout)} s", e);
        }
        catch (Exception e) when (IsConnectivityError(e))
        {
            MarkUnreachable(e.Message);
            throw new StoreUnavailableException($"MongoDB at {Address} is unreachable: {e.Message}", e);
        }
        catch (MongoCommandException e) when (e.Code is BadValueCode or RegexErrorCode)
        {
            // A filter the parser accepted but the server's engine refuses (e.g. a pattern PCRE cannot compile).
            throw new InvalidFilterException($"MongoDB refused the filter: {e.ErrorMessage}");
        }
    }

    private const int BadValueCode = 2;
    private const int RegexErrorCode = 51091;

    private IMongoCollection<BsonDocument> Collection(string name)
    {
        CheckName(name);
        return _database.GetCollection<BsonDocument>(name);
    }

    private void MarkReachable()
    {
        if (!_status.IsReady)
        {
            _status = new StatusSnapshot(true, $"MongoDB at {Address}, database {_options.Database}");
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

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The driver waits 30 s for a server by default; the bridge must answer within <see cref="MongoOptions.OperationTimeout"/>,
    /// so unless the URI says otherwise the driver gives up a little before that.
    /// </summary>
    internal static string WithDriverTimeouts(string uri, TimeSpan operationTimeout)
    {
        // Half the timeout: a retried read (the driver retries once, selecting a server again) still ends in time.
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
