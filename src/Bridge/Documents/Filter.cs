using System.Text.Json.Nodes;

namespace Bridge.Documents;

// SEAM (owned by the documents work): the signatures below are what the rest of the bridge relies on.

/// <summary>A validated filter over documents (the safe subset of MongoDB's query language in the contract).</summary>
public sealed class Filter
{
    public static Filter Empty { get; } = new();

    /// <summary>True when <paramref name="document"/> matches, with MongoDB's semantics.</summary>
    public bool Matches(JsonNode? document) => throw new NotImplementedException();

    /// <summary>The validated filter as a MongoDB query document (fields as clients name them, <c>id</c> included).</summary>
    public JsonObject ToMongoQuery() => throw new NotImplementedException();
}

public enum SortDirection
{
    Ascending,
    Descending,
}

public readonly record struct SortField(string Path, SortDirection Direction);

/// <summary>A filter with Waterline's paging and ordering.</summary>
public sealed record DocumentQuery(Filter Filter, IReadOnlyList<SortField> Sort, int Skip, int? Limit)
{
    public static DocumentQuery All(int? limit = null) => new(Filter.Empty, [], 0, limit);
}

/// <summary>Bounds on what a client may send as a filter.</summary>
public sealed record FilterLimits(int MaxDepth = 8, int MaxNodes = 256, int MaxLimit = 1000);

/// <summary>A filter that is refused before it reaches any store; the message says why, for the client.</summary>
public sealed class InvalidFilterException(string message) : Exception(message);

public static class FilterParser
{
    /// <summary>Parses a plain filter document (no Waterline envelope). Null or empty matches everything.</summary>
    public static Filter ParseFilter(JsonNode? node, FilterLimits limits) => throw new NotImplementedException();

    /// <summary>
    /// Parses what a client sends as <c>params</c> of <c>query</c>: either a plain filter, or Waterline's
    /// <c>{"where":{...},"limit":n,"skip":n,"sort":{...}|"field DESC"}</c>.
    /// </summary>
    public static DocumentQuery ParseQuery(JsonNode? node, FilterLimits limits) => throw new NotImplementedException();
}
