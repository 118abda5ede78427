using System.Text.Json.Serialization;

namespace Bridge.Notifications;

/// <summary>
/// The notifications front's wire records serialized by generated code (snake_case, as seed 003 names them). The
/// subscription documents have their own context in <c>Bridge.Subscriptions</c>, the namespace above this one, so
/// that this namespace does not depend on that one.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TransactionStatus))]
internal sealed partial class NotificationsJsonContext : JsonSerializerContext;
