using System.Text.Json.Serialization;

namespace Bridge.Clients;

/// <summary>What <see cref="DashboardSession"/> answers: a token of the generated admin, and when it expires.</summary>
internal sealed record DashboardSessionToken(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt);
