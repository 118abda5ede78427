namespace Bridge.Documents;

/// <summary>An index on a collection; <see cref="ExpireAfter"/> makes it a TTL index on its one key.</summary>
public sealed record IndexSpec(string Name, IReadOnlyList<SortField> Keys, TimeSpan? ExpireAfter = null, bool Unique = false);
