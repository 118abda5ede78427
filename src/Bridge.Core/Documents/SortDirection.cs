namespace Bridge.Documents;

public enum SortDirection
{
    Ascending,
    Descending,
}
