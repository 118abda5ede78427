using System.Text.Json.Serialization;

namespace Bridge.Auth;

/// <summary>The answer of the token endpoints; <c>token_max_age</c> is in milliseconds as five-bells-ledger sends it.</summary>
internal sealed record TokenResponse(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("token_max_age")] long TokenMaxAgeMilliseconds);
