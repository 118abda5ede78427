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
}

/// <summary>The store could not be reached or did not answer in time.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
