using System.Text.Json.Serialization;

namespace Bridge.Subscriptions;

/// <summary>
/// The stored documents of the subscription pipeline, serialized by generated code rather than mapped by hand field
/// by field. Nulls are written (a stored document has every key, as it always had); names are camelCase.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SubscriptionDocument))]
[JsonSerializable(typeof(SubscriptionStatusDocument))]
internal sealed partial class SubscriptionsJsonContext : JsonSerializerContext;
