using System.Globalization;
using System.Security.Cryptography;

namespace Bridge.Documents;

/// <summary>Identifiers shaped like MongoDB ObjectIds (24 hex digits, creation second first) so they sort by age.</summary>
public static class DocumentIds
{
    public static string New(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        var seconds = (uint)timeProvider.GetUtcNow().ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture, $"{seconds:x8}{RandomNumberGenerator.GetHexString(16, lowercase: true)}");
    }
}

/// <summary>An insert named an id that the collection already holds.</summary>
public sealed class DuplicateDocumentException(string collection, string id)
    : Exception($"collection '{collection}' already holds a document with id '{id}'")
{
    public string Collection { get; } = collection;

    public string Id { get; } = id;
}
