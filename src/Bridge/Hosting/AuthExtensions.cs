namespace Bridge.Hosting;

// SEAM (owned by the auth work): accounts, tokens, RequestAuthenticator, and the token endpoints.
public static class AuthExtensions
{
    public static IHostApplicationBuilder AddBridgeAuth(this IHostApplicationBuilder builder) => builder;

    /// <summary>Maps <c>GET /auth_token</c> and <c>POST /authenticate</c>.</summary>
    public static IEndpointRouteBuilder MapBridgeAuth(this IEndpointRouteBuilder endpoints) => endpoints;
}
