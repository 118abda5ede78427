namespace Bridge.Auth;

/// <summary>
/// <c>GET /auth_token</c> (five-bells-ledger) and <c>POST /authenticate</c> (seed 001): HTTP Basic, or a
/// valid token (clients refresh that way), in exchange for a fresh token.
/// </summary>
internal static class TokenEndpoints
{
    public static async Task<IResult> IssueTokenAsync(HttpContext context, RequestAuthenticator authenticator, AccountDirectory accounts, TokenService tokens)
    {
        var result = await authenticator.AuthenticateAsync(context.Request, allowBasic: true);
        if (result.Outcome != AuthenticationOutcome.Authenticated)
        {
            return ApiErrors.Unauthorized(context, result);
        }

        // The account was found a moment ago; look it up again rather than trust the caller record's flags.
        if (!accounts.TryFind(result.Caller!.Name, out var account))
        {
            return ApiErrors.Unauthorized(context, "Invalid password");
        }

        var issued = tokens.Issue(account);
        return Results.Json(new TokenResponse(issued.Token, (long)issued.MaxAge.TotalMilliseconds));
    }
}
