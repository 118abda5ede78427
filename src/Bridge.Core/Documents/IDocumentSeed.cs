using System.Text.Json.Nodes;

namespace Bridge.Documents;

/// <summary>
/// Documents a store starts with when seeding is on (<c>Bridge:Embedded:Seed</c>, <c>Bridge:Mongo:Seed</c>). The
/// core only loads them; what they are is the host's business (its demo data), so the core carries no sample data.
/// </summary>
internal interface IDocumentSeed
{
    /// <summary>A fresh copy of every seed collection, dated for a store that starts at <paramref name="start"/>.</summary>
    IReadOnlyDictionary<string, IReadOnlyList<JsonObject>> Create(DateTimeOffset start);
}
