using System.Text.Json.Nodes;
using Bridge.Documents;
using Bridge.Kernel;
using Bridge.Webhooks;

namespace Bridge.Subscriptions;

/// <summary>
/// Subscriptions in the document store's <c>subscriptions</c> collection, shared by every instance; their
/// delivery status in <c>subscriptionStatus</c>; and what is left of removed (expired) ones in
/// <c>subscriptionsRemoved</c>, so that the API can say why one is gone.
/// </summary>
internal sealed class SubscriptionStore(IDocumentStore store)
{
    public const string Collection = "subscriptions";
    public const string StatusCollection = "subscriptionStatus";
    public const string RemovedCollection = "subscriptionsRemoved";

    public Task CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return store.InsertAsync(Collection, subscription.ToDocument(), cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(string owner, CancellationToken cancellationToken) =>
        await FindAsync(new JsonObject { ["owner"] = owner }, cancellationToken);

    /// <summary>The caller's subscription with this id, or null.</summary>
    public async Task<WebhookSubscription?> GetAsync(string owner, string id, CancellationToken cancellationToken) =>
        (await FindAsync(new JsonObject { ["id"] = id, ["owner"] = owner }, cancellationToken)).FirstOrDefault();

    /// <summary>Every subscription that may still deliver.</summary>
    public async Task<IReadOnlyList<WebhookSubscription>> ListActiveAsync(CancellationToken cancellationToken) =>
        await FindAsync(new JsonObject { ["disabled"] = new JsonObject { ["$ne"] = true } }, cancellationToken);

    /// <summary>Deletes the caller's subscription; false when it has none with this id.</summary>
    public async Task<bool> DeleteAsync(string owner, string id, CancellationToken cancellationToken)
    {
        var found = await FindAsync(new JsonObject { ["id"] = id, ["owner"] = owner }, cancellationToken);
        if (found.Count == 0 || !await store.DeleteAsync(Collection, id, cancellationToken))
        {
            return false;
        }

        await store.DeleteAsync(StatusCollection, id, cancellationToken);
        return true;
    }

    /// <summary>Replaces the stored subscription (same id).</summary>
    public Task UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return store.UpsertAsync(Collection, subscription.Id, subscription.ToDocument(), cancellationToken);
    }

    public Task DisableAsync(WebhookSubscription subscription, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var disabled = subscription with { Disabled = true, DisabledReason = reason };
        return store.UpsertAsync(Collection, subscription.Id, disabled.ToDocument(), cancellationToken);
    }

    /// <summary>Removes a subscription and keeps a note of why (idempotent: several instances may do it).</summary>
    public async Task RemoveAsync(WebhookSubscription subscription, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        await store.UpsertAsync(RemovedCollection, subscription.Id, new JsonObject
        {
            ["id"] = subscription.Id,
            ["owner"] = subscription.Owner,
            ["reason"] = reason,
            ["removedAt"] = IsoTime.Format(now),
        }, cancellationToken);
        await store.DeleteAsync(Collection, subscription.Id, cancellationToken);
        await store.DeleteAsync(StatusCollection, subscription.Id, cancellationToken);
    }

    /// <summary>Why the caller's subscription with this id was removed, or null when it never was.</summary>
    public async Task<string?> RemovedReasonAsync(string owner, string id, CancellationToken cancellationToken)
    {
        var documents = await store.FindAsync(RemovedCollection, Query(new JsonObject { ["id"] = id, ["owner"] = owner }), cancellationToken);
        return documents.Count == 0 ? null : (string?)documents[0]["reason"];
    }

    public async Task<SubscriptionStatus> GetStatusAsync(string id, CancellationToken cancellationToken)
    {
        var documents = await store.FindAsync(StatusCollection, Query(new JsonObject { ["id"] = id }), cancellationToken);
        return SubscriptionStatus.FromDocument(id, documents.Count == 0 ? null : documents[0]);
    }

    public Task SaveStatusAsync(SubscriptionStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        return store.UpsertAsync(StatusCollection, status.Id, status.ToDocument(), cancellationToken);
    }

    private async Task<IReadOnlyList<WebhookSubscription>> FindAsync(JsonObject filter, CancellationToken cancellationToken)
    {
        var documents = await store.FindAsync(Collection, Query(filter), cancellationToken);
        return [.. documents.Select(SubscriptionDocuments.FromDocument).OfType<WebhookSubscription>()];
    }

    private static DocumentQuery Query(JsonObject filter) =>
        new(FilterParser.ParseFilter(filter, new FilterLimits()),
            [new SortField("createdAt", SortDirection.Ascending), new SortField("id", SortDirection.Ascending)], 0, null);
}
