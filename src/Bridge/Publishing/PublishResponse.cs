using System.Text.Json.Serialization;

namespace Bridge.Publishing;

public sealed record PublishResponse([property: JsonPropertyName("published")] bool Published);
