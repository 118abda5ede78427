using System.Text.Json.Nodes;
using Bridge.Broker;

namespace Bridge.Documents;

/// <summary>
/// The document database as the fronts see it. Documents are JSON objects whose identity is exposed as
/// <c>id</c> (never <c>_id</c>); implementations map it to their own key.
/// </summary>
public interface IDocumentStore
{
    DependencyStatus Status { get; }

    /// <summary>Documents of <paramref name="collection"/> matching the query, sorted, skipped and limited.</summary>
    Task<IReadOnlyList<JsonObject>> FindAsync(string collection, DocumentQuery query, CancellationToken cancellationToken);

    Task<long> CountAsync(string collection, Filter filter, CancellationToken cancellationToken);

    /// <summary>Inserts a document; when it has no <c>id</c>, one is assigned and written into it.</summary>
    Task InsertAsync(string collection, JsonObject document, CancellationToken cancellationToken);

    /// <summary>Replaces the document with this id, inserting it when missing.</summary>
    Task UpsertAsync(string collection, string id, JsonObject document, CancellationToken cancellationToken);

    /// <summary>Deletes the document with this id; false when there was none.</summary>
    Task<bool> DeleteAsync(string collection, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Declares an index (idempotent). With <see cref="IndexSpec.ExpireAfter"/> it is a TTL index: documents
    /// whose (single) key field holds a date older than that are removed by the store in the background.
    /// Dates are ISO-8601 strings as clients see them (UTC, e.g. <c>2026-11-23T10:00:00.000Z</c>).
    /// </summary>
    Task EnsureIndexAsync(string collection, IndexSpec index, CancellationToken cancellationToken);
}
