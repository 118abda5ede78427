using System.Text.Json.Nodes;
using Bridge.Documents;

namespace Bridge.Demo;

/// <summary>The demo's sample collections as the stores' seed, dated so that the newest is a few minutes old.</summary>
internal sealed class DemoSeed : IDocumentSeed
{
    public IReadOnlyDictionary<string, IReadOnlyList<JsonObject>> Create(DateTimeOffset start) => SampleDates.CreateBefore(start);
}
