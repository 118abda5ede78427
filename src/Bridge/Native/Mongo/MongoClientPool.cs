using System.Runtime.InteropServices;

namespace Bridge.Native.Mongo;

/// <summary>
/// A libmongoc client pool (<c>mongoc_client_pool_t</c>) and the operations the bridge needs, with documents,
/// filters and options as MongoDB Extended JSON. Thread-safe: every operation pops its own client and pushes
/// it back when done (pooled clients are not thread-safe). Every call blocks on the network; the driver does
/// server selection, pooling, auth, TLS and retries, this class only marshals.
/// </summary>
public sealed unsafe class MongoClientPool : IDisposable
{
    private static readonly Lazy<bool> Initialized = new(static () =>
    {
        // Once per process: mongoc_cleanup is never called, as the driver's docs allow for process-long use.
        MongoNative.MongocInit();
        return true;
    });

    private readonly ClientPoolHandle _pool;

    private MongoClientPool(ClientPoolHandle pool)
    {
        _pool = pool;
    }

    /// <summary>Parses <paramref name="uri"/> and creates the pool; no connection is made until the first operation.</summary>
    /// <exception cref="MongoException">The URI is invalid (the driver's message says why).</exception>
    public static MongoClientPool Create(string uri, string? appName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        _ = Initialized.Value;
        BsonError error = default;
        var parsed = MongoNative.UriNewWithError(uri, &error);
        if (parsed == IntPtr.Zero)
        {
            throw MongoException.From(error);
        }

        var pool = new ClientPoolHandle();
        try
        {
            // The pool keeps its own copy of the URI.
            var created = MongoNative.ClientPoolNew(parsed);
            if (created == IntPtr.Zero)
            {
                throw new MongoException(0, 0, "mongoc_client_pool_new refused the URI (for example TLS options without TLS support)");
            }

            Marshal.InitHandle(pool, created);
        }
        finally
        {
            MongoNative.UriDestroy(parsed);
        }

        MongoNative.ClientPoolSetErrorApi(pool.DangerousGetHandle(), MongoNative.ErrorApiVersion2);
        if (appName is not null)
        {
            MongoNative.ClientPoolSetAppName(pool.DangerousGetHandle(), appName);
        }

        return new MongoClientPool(pool);
    }

    /// <summary>Runs a command on <paramref name="database"/> and returns the server's reply.</summary>
    public string RunCommand(string database, string commandJson)
    {
        using var command = BsonJson.FromJson(commandJson);
        using var lease = Lease();
        using var reply = ReplyBuffer.Allocate();
        BsonError error = default;
        if (!MongoNative.ClientCommandSimple(lease.Client, database, command.DangerousGetHandle(), IntPtr.Zero, reply.Pointer, &error))
        {
            throw MongoException.From(error);
        }

        return reply.ToJson();
    }

    /// <summary>Opens a cursor over <c>find</c> (<paramref name="optionsJson"/>: sort, skip, limit, projection, ...).</summary>
    public MongoCursor Find(string database, string collection, string filterJson, string? optionsJson = null)
    {
        using var filter = BsonJson.FromJson(filterJson);
        using var options = optionsJson is null ? null : BsonJson.FromJson(optionsJson);
        var lease = Lease();
        CollectionHandle? handle = null;
        try
        {
            handle = lease.Collection(database, collection);
            var cursor = new CursorHandle();
            Marshal.InitHandle(cursor, MongoNative.CollectionFindWithOpts(
                handle.DangerousGetHandle(), filter.DangerousGetHandle(), options?.DangerousGetHandle() ?? IntPtr.Zero, IntPtr.Zero));
            return new MongoCursor(lease, handle, cursor);
        }
        catch
        {
            handle?.Dispose();
            lease.Dispose();
            throw;
        }
    }

    /// <summary>Every document of a <c>find</c>, read to the end.</summary>
    public List<string> FindAll(string database, string collection, string filterJson, string? optionsJson = null)
    {
        using var cursor = Find(database, collection, filterJson, optionsJson);
        var documents = new List<string>();
        while (cursor.TryNext(out var document))
        {
            documents.Add(document);
        }

        return documents;
    }

    /// <summary><c>mongoc_collection_count_documents</c> (an aggregate with <c>$match</c> and <c>$group</c> on the wire).</summary>
    public long Count(string database, string collection, string filterJson, string? optionsJson = null)
    {
        using var filter = BsonJson.FromJson(filterJson);
        using var options = optionsJson is null ? null : BsonJson.FromJson(optionsJson);
        using var lease = Lease();
        using var handle = lease.Collection(database, collection);
        BsonError error = default;
        var count = MongoNative.CollectionCountDocuments(handle.DangerousGetHandle(), filter.DangerousGetHandle(),
            options?.DangerousGetHandle() ?? IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, &error);
        return count < 0 ? throw MongoException.From(error) : count;
    }

    /// <summary>Inserts one document; returns the reply (<c>insertedCount</c>).</summary>
    public string InsertOne(string database, string collection, string documentJson, string? optionsJson = null) =>
        Write(database, collection, documentJson, null, optionsJson,
            static (c, doc, _, opts, reply, error) => MongoNative.CollectionInsertOne(c, doc, opts, reply, error));

    /// <summary>Replaces the first match (with <c>{"upsert":true}</c> in the options, inserts when none); returns <c>matchedCount</c>, <c>modifiedCount</c>, <c>upsertedId</c>.</summary>
    public string ReplaceOne(string database, string collection, string selectorJson, string replacementJson, string? optionsJson = null) =>
        Write(database, collection, selectorJson, replacementJson, optionsJson,
            static (c, selector, replacement, opts, reply, error) => MongoNative.CollectionReplaceOne(c, selector, replacement, opts, reply, error));

    /// <summary>Applies an update document (<c>$set</c>, ...) to the first match; returns <c>matchedCount</c>, <c>modifiedCount</c>, <c>upsertedId</c>.</summary>
    public string UpdateOne(string database, string collection, string selectorJson, string updateJson, string? optionsJson = null) =>
        Write(database, collection, selectorJson, updateJson, optionsJson,
            static (c, selector, update, opts, reply, error) => MongoNative.CollectionUpdateOne(c, selector, update, opts, reply, error));

    /// <summary>Deletes the first match; returns <c>deletedCount</c>.</summary>
    public string DeleteOne(string database, string collection, string selectorJson, string? optionsJson = null) =>
        Write(database, collection, selectorJson, null, optionsJson,
            static (c, selector, _, opts, reply, error) => MongoNative.CollectionDeleteOne(c, selector, opts, reply, error));

    /// <summary>Deletes every match; returns <c>deletedCount</c>.</summary>
    public string DeleteMany(string database, string collection, string selectorJson, string? optionsJson = null) =>
        Write(database, collection, selectorJson, null, optionsJson,
            static (c, selector, _, opts, reply, error) => MongoNative.CollectionDeleteMany(c, selector, opts, reply, error));

    /// <summary>
    /// Creates indexes with the <c>createIndexes</c> command (libmongoc 1.23 has no helper for it);
    /// <paramref name="indexesJson"/> is the command's array, e.g. <c>[{"key":{"at":1},"name":"at_ttl","expireAfterSeconds":60}]</c>.
    /// </summary>
    public string CreateIndexes(string database, string collection, string indexesJson) =>
        RunCommand(database, $$"""{"createIndexes":{{System.Text.Json.JsonSerializer.Serialize(collection)}},"indexes":{{indexesJson}}}""");

    /// <summary>Opens a change stream on a collection (needs a replica set or sharded cluster).</summary>
    /// <exception cref="MongoException">The server refused the stream (a standalone server does).</exception>
    public MongoChangeStream Watch(string database, string collection, string pipelineJson = "[]", string? optionsJson = null)
    {
        // bson_new_from_json wants a document: the pipeline travels as {"pipeline": [...]}, which libmongoc accepts.
        using var pipeline = BsonJson.FromJson($$"""{"pipeline":{{pipelineJson}}}""");
        using var options = optionsJson is null ? null : BsonJson.FromJson(optionsJson);
        var lease = Lease();
        CollectionHandle? handle = null;
        ChangeStreamHandle? stream = null;
        try
        {
            handle = lease.Collection(database, collection);
            stream = new ChangeStreamHandle();
            Marshal.InitHandle(stream, MongoNative.CollectionWatch(handle.DangerousGetHandle(), pipeline.DangerousGetHandle(), options?.DangerousGetHandle() ?? IntPtr.Zero));
            var result = new MongoChangeStream(lease, handle, stream);
            result.ThrowIfFailed();
            return result;
        }
        catch
        {
            stream?.Dispose();
            handle?.Dispose();
            lease.Dispose();
            throw;
        }
    }

    public void Dispose() => _pool.Dispose();

    private delegate bool WriteCall(IntPtr collection, IntPtr first, IntPtr second, IntPtr options, IntPtr reply, BsonError* error);

    private string Write(string database, string collection, string firstJson, string? secondJson, string? optionsJson, WriteCall call)
    {
        using var first = BsonJson.FromJson(firstJson);
        using var second = secondJson is null ? null : BsonJson.FromJson(secondJson);
        using var options = optionsJson is null ? null : BsonJson.FromJson(optionsJson);
        using var lease = Lease();
        using var handle = lease.Collection(database, collection);
        using var reply = ReplyBuffer.Allocate();
        BsonError error = default;
        if (!call(handle.DangerousGetHandle(), first.DangerousGetHandle(), second?.DangerousGetHandle() ?? IntPtr.Zero,
                options?.DangerousGetHandle() ?? IntPtr.Zero, reply.Pointer, &error))
        {
            throw MongoException.From(error);
        }

        return reply.ToJson();
    }

    private ClientLease Lease() => new(_pool);
}

/// <summary>A client popped from the pool for one operation; disposing pushes it back.</summary>
internal sealed class ClientLease : IDisposable
{
    private readonly ClientPoolHandle _pool;
    private bool _released;

    public ClientLease(ClientPoolHandle pool)
    {
        // The reference keeps the pool alive (not destroyed) while any of its clients is out.
        var added = false;
        pool.DangerousAddRef(ref added);
        _pool = pool;
        Client = MongoNative.ClientPoolPop(pool.DangerousGetHandle());
        if (Client == IntPtr.Zero)
        {
            pool.DangerousRelease();
            throw new MongoException(0, 0, "the client pool returned no client");
        }
    }

    public IntPtr Client { get; }

    public CollectionHandle Collection(string database, string collection)
    {
        var handle = new CollectionHandle();
        Marshal.InitHandle(handle, MongoNative.ClientGetCollection(Client, database, collection));
        return handle;
    }

    public void Dispose()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        MongoNative.ClientPoolPush(_pool.DangerousGetHandle(), Client);
        _pool.DangerousRelease();
    }
}

/// <summary>A <c>find</c> cursor; it holds its pooled client until disposed.</summary>
public sealed unsafe class MongoCursor : IDisposable
{
    private readonly ClientLease _lease;
    private readonly CollectionHandle _collection;
    private readonly CursorHandle _cursor;

    internal MongoCursor(ClientLease lease, CollectionHandle collection, CursorHandle cursor)
    {
        _lease = lease;
        _collection = collection;
        _cursor = cursor;
    }

    /// <summary>The next document as relaxed Extended JSON; false at the end.</summary>
    /// <exception cref="MongoException">The query failed (server unreachable, refused filter, ...).</exception>
    public bool TryNext(out string document)
    {
        IntPtr next;
        if (MongoNative.CursorNext(_cursor.DangerousGetHandle(), &next))
        {
            // The document belongs to the cursor and is only valid until the next call: copy it out now.
            document = BsonJson.ToJson(next);
            return true;
        }

        BsonError error = default;
        if (MongoNative.CursorError(_cursor.DangerousGetHandle(), &error))
        {
            throw MongoException.From(error);
        }

        document = "";
        return false;
    }

    public void Dispose()
    {
        // Children before parents: cursor, collection, then the client goes back to the pool.
        _cursor.Dispose();
        _collection.Dispose();
        _lease.Dispose();
    }
}

/// <summary>A change stream; it holds its pooled client until disposed.</summary>
public sealed unsafe class MongoChangeStream : IDisposable
{
    private readonly ClientLease _lease;
    private readonly CollectionHandle _collection;
    private readonly ChangeStreamHandle _stream;

    internal MongoChangeStream(ClientLease lease, CollectionHandle collection, ChangeStreamHandle stream)
    {
        _lease = lease;
        _collection = collection;
        _stream = stream;
    }

    /// <summary>The next change event, waiting up to the stream's <c>maxAwaitTimeMS</c>; false when none arrived in that time.</summary>
    public bool TryNext(out string change)
    {
        IntPtr next;
        if (MongoNative.ChangeStreamNext(_stream.DangerousGetHandle(), &next))
        {
            change = BsonJson.ToJson(next);
            return true;
        }

        ThrowIfFailed();
        change = "";
        return false;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _collection.Dispose();
        _lease.Dispose();
    }

    internal void ThrowIfFailed()
    {
        BsonError error = default;
        IntPtr reply;
        if (MongoNative.ChangeStreamErrorDocument(_stream.DangerousGetHandle(), &error, &reply))
        {
            throw MongoException.From(error);
        }
    }
}
