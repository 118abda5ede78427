namespace Bridge.Documents;

/// <summary>An insert named an id that the collection already holds.</summary>
internal sealed class DuplicateDocumentException(string collection, string id)
    : Exception($"collection '{collection}' already holds a document with id '{id}'")
{
    public string Collection { get; } = collection;

    public string Id { get; } = id;
}
