namespace Bridge.Auth;

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

    public static AuthenticationResult Authenticated(Caller caller) =>
        new(AuthenticationOutcome.Authenticated, caller ?? throw new ArgumentNullException(nameof(caller)), null);

    /// <param name="reason">Safe to show the client: never the token, the password, or which of the two was wrong.</param>
    public static AuthenticationResult Rejected(string reason) => new(AuthenticationOutcome.Rejected, null, reason);
}

/// <summary>A configured account. <see cref="Name"/> is spelled as configured; lookups ignore case.</summary>
public sealed class Account
{
    internal Account(string name, bool isAdmin, PasswordHash passwordHash)
    {
        Name = name;
        IsAdmin = isAdmin;
        PasswordHash = passwordHash;
    }

    public string Name { get; }

    public bool IsAdmin { get; }

    internal PasswordHash PasswordHash { get; }

    public Caller ToCaller() => new(Name, IsAdmin);
}
