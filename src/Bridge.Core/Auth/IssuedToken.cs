namespace Bridge.Auth;

/// <summary>A token and how long it lives (<c>token_max_age</c> in the token endpoints' answer).</summary>
public sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt, TimeSpan MaxAge);
