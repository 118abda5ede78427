using System.Text.Json.Nodes;

namespace Bridge.Demo;

/// <summary>One message the demo publishes: where to, and its body.</summary>
internal sealed record DemoMessage(string Exchange, string RoutingKey, JsonObject Body);
