namespace Bridge.Documents;

/// <summary>The kinds of JSON value in MongoDB's cross-type sort order (null and missing first).</summary>
public enum JsonKind
{
    Null = 0,
    Number = 1,
    String = 2,
    Object = 3,
    Array = 4,
    Boolean = 5,
}
