namespace Bridge.Auth;

// SEAM (owned by the auth work).

/// <summary>
/// Reads credentials from an HTTP request (including a WebSocket upgrade request): a token in
/// <c>?token=</c> or <c>Authorization: Bearer</c>, or, where basic is allowed, HTTP Basic.
/// </summary>
public sealed class RequestAuthenticator
{
    public AuthenticationResult Authenticate(HttpRequest request, bool allowBasic) => throw new NotImplementedException();
}
