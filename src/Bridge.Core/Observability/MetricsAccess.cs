using System.Net;
using Bridge.Auth;

namespace Bridge.Observability;

/// <summary>
/// Who may read metrics: anyone on loopback (the scraper beside the bridge, the dashboard on a developer's
/// machine), an admin token from anywhere else, or everyone when <see cref="MetricsOptions.AllowAnonymous"/> says so.
/// </summary>
internal sealed class MetricsAccess(RequestAuthenticator authenticator, Microsoft.Extensions.Options.IOptions<MetricsOptions> options)
{
    /// <summary>Null when the request may read metrics, else the response to send.</summary>
    public async ValueTask<IResult?> CheckAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (options.Value.AllowAnonymous || IsLoopback(context.Connection.RemoteIpAddress))
        {
            return null;
        }

        var authentication = await authenticator.AuthenticateAsync(context.Request, allowBasic: false);
        if (authentication.Outcome != AuthenticationOutcome.Authenticated)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Json(new ApiError("UnauthorizedError", authentication.Reason ?? "metrics need an admin token off loopback"),
                statusCode: StatusCodes.Status401Unauthorized);
        }

        return authentication.Caller!.IsAdmin ? null : ApiErrors.Forbidden("metrics need an admin token");
    }

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address);
}
