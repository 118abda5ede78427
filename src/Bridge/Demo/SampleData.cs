using System.Text.Json.Nodes;

namespace Bridge.Demo;

/// <summary>
/// The demo's MonoRail-shaped sample collections, modelled on RackHD's Waterline models (on-core <c>lib/models</c>):
/// the embedded resource <c>Demo/sample-data.json</c>, with fixed ObjectId-shaped ids (<c>65e18b00</c>, a two-digit
/// collection tag, a counter) and timestamps at fixed offsets from 2024-03-01T08:00:00Z, which
/// <see cref="SampleDates"/> moves to just before the start. The ids below are read from the data, in its order.
/// </summary>
internal static class SampleData
{
    public const string Nodes = "nodes";
    public const string Catalogs = "catalogs";
    public const string GraphObjects = "graphobjects";

    private const string ResourceName = "Bridge.Demo.sample-data.json";

    // Parsed once; every caller gets its own deep copy, so nothing can change the template.
    private static readonly JsonObject Template = Load();

    /// <summary>Every sample collection, in the order of the resource.</summary>
    public static IReadOnlyList<string> CollectionNames { get; } = [.. Template.Select(static pair => pair.Key)];

    /// <summary>Every node: the compute nodes (<c>compute-01</c> .. <c>compute-08</c>), the switches, the PDU and the enclosure.</summary>
    public static IReadOnlyList<string> NodeIds { get; } = IdsOf(Nodes);

    public static IReadOnlyList<string> ComputeNodeIds { get; } = IdsOf(Nodes, "type", "compute");

    public static IReadOnlyList<string> SwitchNodeIds { get; } = IdsOf(Nodes, "type", "switch");

    public static string PduNodeId { get; } = IdsOf(Nodes, "type", "pdu").Single();

    public static IReadOnlyList<string> SkuIds { get; } = IdsOf("skus");

    public static IReadOnlyList<string> CatalogIds { get; } = IdsOf(Catalogs);

    /// <summary>The <c>instanceId</c>s of the sample graph objects (the id field of the <c>graphObjs</c> resource).</summary>
    public static IReadOnlyList<string> GraphInstanceIds { get; } = [.. Documents(GraphObjects).Select(static g => g["instanceId"]!.GetValue<string>())];

    /// <summary>The graph object that is still <c>running</c>.</summary>
    public static string RunningGraphInstanceId { get; } =
        Documents(GraphObjects).Single(static g => g["_status"]?.GetValue<string>() == "running")["instanceId"]!.GetValue<string>();

    /// <summary>A fresh copy of every sample collection, at the resource's fixed dates; callers may keep and change it.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<JsonObject>> Create() =>
        Template.ToDictionary(
            static pair => pair.Key,
            static pair => (IReadOnlyList<JsonObject>)[.. pair.Value!.AsArray().Select(static d => d!.DeepClone().AsObject())],
            StringComparer.Ordinal);

    /// <summary>
    /// A new catalog of <paramref name="source"/> for compute node <paramref name="index"/> (1-based), as discovery
    /// writes it: the sample catalog of that node and source under a new id and date.
    /// </summary>
    public static JsonObject CatalogFor(int index, string source, string id, string createdAt)
    {
        var node = ComputeNodeIds[index - 1];
        var sample = Documents(Catalogs).FirstOrDefault(c => c["node"]!.GetValue<string>() == node && c["source"]!.GetValue<string>() == source)
            ?? throw new ArgumentException($"the sample data has no catalog of source '{source}' for node {index}", nameof(source));
        var catalog = sample.DeepClone().AsObject();
        catalog["id"] = id;
        catalog["createdAt"] = createdAt;
        catalog["updatedAt"] = createdAt;
        return catalog;
    }

    private static IEnumerable<JsonObject> Documents(string collection) => Template[collection]!.AsArray().Select(static d => d!.AsObject());

    private static List<string> IdsOf(string collection, string? field = null, string? value = null) =>
        [.. Documents(collection)
            .Where(d => field is null || d[field]?.GetValue<string>() == value)
            .Select(static d => d["id"]!.GetValue<string>())];

    private static JsonObject Load()
    {
        using var stream = typeof(SampleData).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing from the build");
        return JsonNode.Parse(stream)!.AsObject();
    }
}
