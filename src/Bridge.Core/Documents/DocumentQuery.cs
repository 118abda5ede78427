namespace Bridge.Documents;

/// <summary>A filter with Waterline's paging and ordering.</summary>
/// <param name="Filter">Which documents.</param>
/// <param name="Sort">Their order, first field first; empty for the store's natural order.</param>
/// <param name="Skip">How many matching documents to pass over first.</param>
/// <param name="Limit">At most this many documents; null for no limit of the query's own (the caller's maximum applies).</param>
public sealed record DocumentQuery(Filter Filter, IReadOnlyList<SortField> Sort, int Skip, int? Limit)
{
    public static DocumentQuery All(int? limit = null) => new(Filter.Empty, [], 0, limit);
}
