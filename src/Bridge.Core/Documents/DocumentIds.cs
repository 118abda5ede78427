using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

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

    /// <summary>
    /// The identity an inserted document gets: its <c>id</c>, else its <c>_id</c>, else a new one; in the last two
    /// cases the document is rewritten to carry it as <c>id</c> only (the stores expose no <c>_id</c>).
    /// </summary>
    public static string Assign(JsonObject document, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (Read(document, "id") is { } id)
        {
            return id;
        }

        id = Read(document, "_id") ?? New(timeProvider);
        document.Remove("id");
        document.Remove("_id");
        document.Insert(0, "id", id);
        return id;
    }

    /// <summary>The id a document names in <paramref name="property"/> (<c>id</c> or <c>_id</c>), or null when it names none.</summary>
    /// <exception cref="ArgumentException">The property holds something other than a non-empty string or number.</exception>
    public static string? Read(JsonObject document, string property)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (!document.TryGetPropertyValue(property, out var value) || value is null)
        {
            return null;
        }

        return JsonSemantics.AsString(value) is { Length: > 0 } id
            ? id
            : throw new ArgumentException($"the document's '{property}' must be a non-empty string", nameof(document));
    }
}
