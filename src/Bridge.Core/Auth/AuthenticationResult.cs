namespace Bridge.Auth;

public sealed record AuthenticationResult(AuthenticationOutcome Outcome, Caller? Caller, string? Reason)
{
    public static AuthenticationResult None { get; } = new(AuthenticationOutcome.NoCredentials, null, null);

    public static AuthenticationResult Authenticated(Caller caller) =>
        new(AuthenticationOutcome.Authenticated, caller ?? throw new ArgumentNullException(nameof(caller)), null);

    /// <param name="reason">Safe to show the client: never the token, the password, or which of the two was wrong.</param>
    public static AuthenticationResult Rejected(string reason) => new(AuthenticationOutcome.Rejected, null, reason);
}
