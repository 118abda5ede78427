namespace Bridge.Documents;

public readonly record struct SortField(string Path, SortDirection Direction);
