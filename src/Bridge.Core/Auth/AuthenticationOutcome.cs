namespace Bridge.Auth;

public enum AuthenticationOutcome
{
    /// <summary>The request carried no credentials at all.</summary>
    NoCredentials,
    Authenticated,
    /// <summary>Credentials were present but wrong, expired or malformed.</summary>
    Rejected,
}
