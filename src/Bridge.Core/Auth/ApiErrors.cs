namespace Bridge.Auth;

public static class ApiErrors
{
    public const string BasicChallenge = "Basic realm=\"bridge\"";

    /// <summary>401 with a Basic challenge, so that browsers and curl know what to send.</summary>
    public static IResult Unauthorized(HttpContext context, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.WWWAuthenticate = BasicChallenge;
        return Results.Json(new ApiError("UnauthorizedError", message), statusCode: StatusCodes.Status401Unauthorized);
    }

    public static IResult Unauthorized(HttpContext context, AuthenticationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Unauthorized(context, result.Reason ?? "credentials required");
    }

    public static IResult Forbidden(string message) =>
        Results.Json(new ApiError("ForbiddenError", message), statusCode: StatusCodes.Status403Forbidden);
}
