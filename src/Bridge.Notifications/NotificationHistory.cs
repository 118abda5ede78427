using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Bridge.Documents;
using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Notifications;

/// <summary>
/// The persistent history of transaction messages (contract "Pull"), in the document store's
/// <c>notifications</c> collection. A stored document is
/// <c>{"id":key,"storedAt":iso,"transactionId":..,"status":..,"message":{...as published...}}</c>: the message
/// keeps its own <c>id</c> (the transaction's), which cannot be the document's since every state change of a
/// transaction is kept.
/// </summary>
internal sealed class NotificationHistory(IDocumentStore store, IOptions<NotificationOptions> options, TimeProvider timeProvider)
{
    public const string Collection = "notifications";

    private static readonly SortField[] NewestFirst =
    [
        new("storedAt", SortDirection.Descending),
        new("id", SortDirection.Descending),
    ];

    private readonly NotificationOptions _options = options.Value;
    private long _lastMilliseconds;

    /// <summary>The TTL index that enforces the retention, and the indexes the pages are read through.</summary>
    public async Task EnsureIndexesAsync(CancellationToken cancellationToken)
    {
        await store.EnsureIndexAsync(Collection,
            new IndexSpec("storedAt_ttl", [new SortField("storedAt", SortDirection.Ascending)], _options.Retention), cancellationToken);
        await store.EnsureIndexAsync(Collection, new IndexSpec("storedAt_id", NewestFirst), cancellationToken);
        await store.EnsureIndexAsync(Collection,
            new IndexSpec("transactionId_storedAt", [new SortField("transactionId", SortDirection.Ascending), .. NewestFirst]), cancellationToken);
        await store.EnsureIndexAsync(Collection, new IndexSpec("deliveryId", [new SortField("deliveryId", SortDirection.Ascending)]), cancellationToken);
    }

    /// <summary>Whether a message with this delivery id (<see cref="NotificationIds.Of"/>) is stored already.</summary>
    public async Task<bool> ContainsDeliveryAsync(string deliveryId, CancellationToken cancellationToken)
    {
        var filter = FilterParser.ParseFilter(new JsonObject { ["deliveryId"] = deliveryId }, new FilterLimits(MaxLimit: 1));
        var found = await store.FindAsync(Collection, new DocumentQuery(filter, [], 0, 1), cancellationToken);
        return found.Count > 0;
    }

    /// <summary>
    /// Stores a validated message; returns the item as the history shows it. <paramref name="deliveryId"/>, the
    /// broker message's stable id, is kept so that a redelivery of the same message can be recognised.
    /// </summary>
    public async Task<JsonObject> AppendAsync(JsonObject message, CancellationToken cancellationToken, string? deliveryId = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var milliseconds = NextMilliseconds();
        var storedAt = IsoTime.Format(DateTimeOffset.FromUnixTimeMilliseconds(milliseconds));

        // Time first so keys sort like storedAt; random last so instances sharing a store never collide.
        // 26 digits, not 24, so that no store mistakes the key for an ObjectId.
        var key = $"{milliseconds:x12}{RandomNumberGenerator.GetHexString(14, lowercase: true)}";
        var document = new JsonObject
        {
            ["id"] = key,
            ["storedAt"] = storedAt,
            ["transactionId"] = TransactionMessage.IdOf(message),
            ["status"] = TransactionMessage.StatusOf(message),
            ["message"] = message.DeepClone(),
        };
        if (deliveryId is not null)
        {
            document["deliveryId"] = deliveryId;
        }

        await store.InsertAsync(Collection, document, cancellationToken);
        return ToItem(document);
    }

    public async Task<HistoryPage> ReadAsync(HistoryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = FilterParser.ParseFilter(BuildFilter(query), new FilterLimits(MaxLimit: int.MaxValue));

        // One more than a page says whether an older page exists without a count.
        var found = await store.FindAsync(Collection, new DocumentQuery(filter, NewestFirst, 0, query.Limit + 1), cancellationToken);
        var page = found.Take(query.Limit).ToList();
        string? next = null;
        if (found.Count > query.Limit)
        {
            var last = page[^1];
            next = new HistoryCursor((string)last["storedAt"]!, (string)last["id"]!).Encode();
        }

        return new HistoryPage([.. page.Select(ToItem)], next);
    }

    /// <summary>The store's filter for a query (internal for tests).</summary>
    internal static JsonObject BuildFilter(HistoryQuery query)
    {
        var conditions = new JsonArray();
        if (query.Before is { } before)
        {
            conditions.Add(new JsonObject
            {
                ["$or"] = new JsonArray(
                    new JsonObject { ["storedAt"] = new JsonObject { ["$lt"] = before.StoredAt } },
                    new JsonObject { ["storedAt"] = before.StoredAt, ["id"] = new JsonObject { ["$lt"] = before.Key } }),
            });
        }

        if (query.TransactionId is { } id)
        {
            conditions.Add(new JsonObject { ["transactionId"] = id });
        }

        if (query.Statuses is { Count: > 0 } statuses)
        {
            conditions.Add(new JsonObject { ["status"] = new JsonObject { ["$in"] = new JsonArray([.. statuses.Select(s => JsonValue.Create(s))]) } });
        }

        if (query.Since is { } since)
        {
            conditions.Add(new JsonObject { ["storedAt"] = new JsonObject { ["$gte"] = IsoTime.Format(since) } });
        }

        if (query.Until is { } until)
        {
            conditions.Add(new JsonObject { ["storedAt"] = new JsonObject { ["$lt"] = IsoTime.Format(until) } });
        }

        return conditions.Count == 0 ? [] : new JsonObject { ["$and"] = conditions };
    }

    /// <summary>What clients see: the message as published, plus when it was stored.</summary>
    private static JsonObject ToItem(JsonObject document)
    {
        var item = document["message"] is JsonObject message ? (JsonObject)message.DeepClone() : [];
        item["storedAt"] = document["storedAt"]?.DeepClone();
        return item;
    }

    /// <summary>Milliseconds since the epoch, strictly increasing within this process so arrival order is kept.</summary>
    private long NextMilliseconds()
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        while (true)
        {
            var last = Interlocked.Read(ref _lastMilliseconds);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _lastMilliseconds, next, last) == last)
            {
                return next;
            }
        }
    }
}
