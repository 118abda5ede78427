using System.Text.Json.Nodes;

namespace Bridge.Documents;

/// <summary>A value found at a path, or the fact that the path led nowhere (which MongoDB treats like null).</summary>
public readonly record struct PathValue(JsonNode? Value, bool Exists)
{
    public static PathValue Missing => new(null, false);
}
