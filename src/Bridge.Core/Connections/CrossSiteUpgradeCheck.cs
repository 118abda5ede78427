using Bridge.Auth;
using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>
/// Refuses (403) a WebSocket upgrade that authenticates with HTTP Basic, a credential a browser attaches by itself
/// once it has cached it, when the page that opens it is of another site: its <c>Origin</c> is neither the
/// bridge's own (the request's Host or <c>Bridge:PublicUrl</c>) nor listed in <c>Bridge:Connections:AllowedOrigins</c>
/// (cross-site WebSocket hijacking, issue 11 item 7). Browsers do not enforce CORS on WebSockets; the server must.
/// </summary>
/// <remarks>
/// A token (<c>?token=</c> or <c>Authorization: Bearer</c>) is not ambient: a foreign page can only send one it
/// already has. The bridge authenticates nothing with cookies, so a cookie grants nothing to check here. Runs
/// before any password is checked, so a hijacking attempt neither costs a hash nor counts as a wrong password.
/// </remarks>
internal sealed partial class CrossSiteUpgradeCheck
{
    private readonly RequestDelegate _next;
    private readonly ILogger<CrossSiteUpgradeCheck> _logger;
    private readonly string? _publicOrigin;
    private readonly HashSet<string> _allowed;
    private readonly bool _allowAny;

    public CrossSiteUpgradeCheck(RequestDelegate next, IOptions<ConnectionOptions> options, IOptions<BridgeOptions> bridge, ILogger<CrossSiteUpgradeCheck> logger)
    {
        _next = next;
        _logger = logger;
        _publicOrigin = UpgradeOrigins.Normalize(new Uri(bridge.Value.PublicUrl).GetLeftPart(UriPartial.Authority));
        _allowAny = options.Value.AllowedOrigins.Contains("*");
        _allowed = [.. options.Value.AllowedOrigins.Select(UpgradeOrigins.Normalize).OfType<string>()];
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest || !CarriesAmbientCredentials(context.Request) || IsAllowed(context.Request))
        {
            return _next(context);
        }

        var origin = context.Request.Headers.Origin.ToString();
        LogRefused(_logger, context.Request.Path, origin);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return context.Response.WriteAsJsonAsync(new ApiError("ForbiddenError",
            $"a WebSocket with HTTP Basic credentials from the page origin '{origin}' is refused: connect with a token, " +
            "or list the origin in Bridge:Connections:AllowedOrigins"), context.RequestAborted);
    }

    private static bool CarriesAmbientCredentials(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Basic", StringComparison.OrdinalIgnoreCase)
            || authorization.Contains(",Basic", StringComparison.OrdinalIgnoreCase);
    }

    private bool IsAllowed(HttpRequest request)
    {
        var origins = request.Headers.Origin;
        // No Origin: not a browser page (browsers always send one on a WebSocket upgrade).
        if (origins.Count == 0)
        {
            return true;
        }

        if (_allowAny)
        {
            return true;
        }

        // One origin, never a list; "null" (sandboxed pages, file://) normalizes to null and is foreign.
        var origin = origins.Count == 1 ? UpgradeOrigins.Normalize(origins.ToString()) : null;
        if (origin is null)
        {
            return false;
        }

        var own = UpgradeOrigins.Normalize($"{request.Scheme}://{request.Host.Value}");
        return origin == own || origin == _publicOrigin || _allowed.Contains(origin);
    }

    [LoggerMessage(EventId = 4010, EventName = "CrossSiteUpgradeRefused", Level = LogLevel.Warning,
        Message = "WebSocket upgrade on {Path} refused: HTTP Basic credentials from the foreign page origin '{Origin}' (Bridge:Connections:AllowedOrigins)")]
    private static partial void LogRefused(ILogger logger, PathString path, string origin);
}
