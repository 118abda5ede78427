namespace Bridge.Auth;

// SEAM (owned by the auth work): the signatures below are what the fronts rely on.

/// <summary>Who is on the other end of a request or connection.</summary>
public sealed record Caller(string Name, bool IsAdmin)
{
    /// <summary>A connection admitted without credentials where configuration allows it.</summary>
    public static Caller Anonymous { get; } = new("anonymous", false);

    public bool IsAnonymous => ReferenceEquals(this, Anonymous);
}

public enum AuthenticationOutcome
{
    /// <summary>The request carried no credentials at all.</summary>
    NoCredentials,
    Authenticated,
    /// <summary>Credentials were present but wrong, expired or malformed.</summary>
    Rejected,
}

public sealed record AuthenticationResult(AuthenticationOutcome Outcome, Caller? Caller, string? Reason)
{
    public static AuthenticationResult None { get; } = new(AuthenticationOutcome.NoCredentials, null, null);
}
