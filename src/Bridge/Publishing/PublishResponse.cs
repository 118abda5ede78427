using System.Text.Json.Serialization;

namespace Bridge.Publishing;

internal sealed record PublishResponse([property: JsonPropertyName("published")] bool Published);
