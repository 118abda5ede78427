using System.Net;
using Bridge.Auth;

namespace Bridge.Clients;

/// <summary>
/// The dashboard's admin session on the embedded default (issue 15): a bridge started with no account configured
/// generates an <c>admin</c> (its password is in the log); the dashboard opened on that machine gets a token for it
/// here, so its ledger panel follows every account's transfers without a pasted token. Only then, and only for a
/// page of this bridge on loopback: the caller is on loopback, the <c>Host</c> names loopback (a DNS-rebinding page
/// names its own host), and a browser's <c>Sec-Fetch-Site</c>, when sent, says same-origin. Everywhere else the
/// answer is 404 and the dashboard asks for a token as before. docs/security.md weighs this.
/// </summary>
internal static class DashboardSession
{
    public const string Path = "/api/dashboard/session";

    public static IResult Handle(HttpContext context, AccountDirectory accounts, TokenService tokens)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(tokens);
        if (accounts.GeneratedAdmin is not { } admin)
        {
            return Refuse("the dashboard session exists only on the embedded default (no account configured): paste an admin token");
        }

        if (!IsLoopbackPage(context.Request, context.Connection.RemoteIpAddress))
        {
            return Refuse("the dashboard session is given only to this bridge's own page on loopback: paste an admin token");
        }

        var issued = tokens.Issue(admin);
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(new DashboardSessionToken(issued.Token, admin.Name, issued.ExpiresAt));
    }

    /// <summary>Loopback caller, loopback <c>Host</c>, and no cross-site browser fetch.</summary>
    public static bool IsLoopbackPage(HttpRequest request, IPAddress? remote)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (remote is null || !IPAddress.IsLoopback(remote))
        {
            return false;
        }

        var host = request.Host.Host;
        var loopbackHost = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        return loopbackHost && (fetchSite.Length == 0 || fetchSite is "same-origin" or "none");
    }

    private static IResult Refuse(string message) =>
        Results.Json(new ApiError("NotFoundError", message), statusCode: StatusCodes.Status404NotFound);
}
