using System.Text.Json.Serialization;

namespace Bridge.Auth;

/// <summary>The error body of the HTTP API, as five-bells-ledger shapes it: <c>{"id":"UnauthorizedError","message":"..."}</c>.</summary>
public sealed record ApiError(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("message")] string Message);
