using System.Text.Json.Nodes;
using Bridge.Documents;

namespace Bridge.Subscriptions;

/// <summary>Subscriptions in the document store's <c>subscriptions</c> collection, shared by every instance.</summary>
public sealed class SubscriptionStore(IDocumentStore store)
{
    public const string Collection = "subscriptions";

    public Task CreateAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return store.InsertAsync(Collection, subscription.ToDocument(), cancellationToken);
    }

    public async Task<IReadOnlyList<Subscription>> ListAsync(string owner, CancellationToken cancellationToken) =>
        await FindAsync(new JsonObject { ["owner"] = owner }, cancellationToken);

    /// <summary>Every subscription that may still deliver.</summary>
    public async Task<IReadOnlyList<Subscription>> ListActiveAsync(CancellationToken cancellationToken) =>
        await FindAsync(new JsonObject { ["disabled"] = new JsonObject { ["$ne"] = true } }, cancellationToken);

    /// <summary>Deletes the caller's subscription; false when it has none with this id.</summary>
    public async Task<bool> DeleteAsync(string owner, string id, CancellationToken cancellationToken)
    {
        var found = await FindAsync(new JsonObject { ["id"] = id, ["owner"] = owner }, cancellationToken);
        return found.Count > 0 && await store.DeleteAsync(Collection, id, cancellationToken);
    }

    public Task DisableAsync(Subscription subscription, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var disabled = subscription with { Disabled = true, DisabledReason = reason };
        return store.UpsertAsync(Collection, subscription.Id, disabled.ToDocument(), cancellationToken);
    }

    private async Task<IReadOnlyList<Subscription>> FindAsync(JsonObject filter, CancellationToken cancellationToken)
    {
        var query = new DocumentQuery(FilterParser.ParseFilter(filter, new FilterLimits()),
            [new SortField("createdAt", SortDirection.Ascending), new SortField("id", SortDirection.Ascending)], 0, null);
        var documents = await store.FindAsync(Collection, query, cancellationToken);
        return [.. documents.Select(Subscription.FromDocument).OfType<Subscription>()];
    }
}
