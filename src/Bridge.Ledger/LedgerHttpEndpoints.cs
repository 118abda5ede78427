using Bridge.Auth;
using Microsoft.Extensions.Options;

namespace Bridge.Ledger;

/// <summary>The HTTP side of the ledger front: <c>GET /</c> (metadata) and <c>GET /accounts/{name}</c>.</summary>
internal static partial class LedgerHttpEndpoints
{
    private const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>The ledger metadata five-bells clients start from; a browser asking for HTML is sent to the dashboard.</summary>
    public static IResult Metadata(HttpContext context, LedgerUris uris, IOptions<LedgerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(uris);
        ArgumentNullException.ThrowIfNull(options);
        var dashboard = options.Value.DashboardPath;
        if (!string.IsNullOrEmpty(dashboard) && PrefersHtml(context.Request))
        {
            return Results.Redirect(dashboard);
        }

        return Results.Bytes(uris.Metadata, JsonContentType);
    }

    /// <summary>An account's public record (five-bells answers the same to anonymous callers), or 404.</summary>
    public static IResult Account(string name, AccountDirectory accounts, LedgerUris uris)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(uris);
        if (!LedgerUris.IsValidAccountName(name) || !accounts.TryFind(name, out var account))
        {
            return Results.Json(new ApiError("NotFoundError", "Unknown account"), statusCode: StatusCodes.Status404NotFound);
        }

        return Results.Json(new AccountRecord(uris.AccountUri(account.Name), account.Name, uris.Base));
    }

    /// <summary>
    /// <c>GET /transfers/{id}</c>. The bridge is a notification front and holds no transfers, but
    /// ilp-plugin-bells probes this path to learn how the ledger authenticates, so it answers as five-bells
    /// does (transcript): 401 for a bad token, 400 for an id that is not a UUID, and 404 otherwise.
    /// </summary>
    public static async Task<IResult> TransferAsync(string id, HttpContext context, RequestAuthenticator authenticator)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authenticator);
        var authentication = await authenticator.AuthenticateAsync(context.Request, allowBasic: true);
        if (authentication.Outcome != AuthenticationOutcome.Authenticated)
        {
            return ApiErrors.Unauthorized(context, authentication);
        }

        if (!TransferId().IsMatch(id))
        {
            return Results.Text(InvalidTransferIdBody, JsonContentType, statusCode: StatusCodes.Status400BadRequest);
        }

        return Results.Json(new ApiError("NotFoundError", "Unknown transfer: this bridge relays notifications; transfers are held by the ledger"),
            statusCode: StatusCodes.Status404NotFound);
    }

    private const string UuidPattern = "^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$";

    // five-bells' validation error for a transfer id, as the transcript records it.
    private const string InvalidTransferIdBody =
        "{\"id\":\"InvalidUriParameterError\",\"message\":\"id is not a valid Uuid\",\"validationErrors\":[{\"keyword\":\"pattern\","
        + "\"dataPath\":\"\",\"schemaPath\":\"#/pattern\",\"params\":{\"pattern\":\"" + UuidPattern + "\"},"
        + "\"message\":\"should match pattern \\\"" + UuidPattern + "\\\"\"}]}";

    [System.Text.RegularExpressions.GeneratedRegex(UuidPattern)]
    private static partial System.Text.RegularExpressions.Regex TransferId();

    // Browsers put text/html first; API clients ask for JSON or for anything.
    private static bool PrefersHtml(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        foreach (var mediaType in accept.OrderByDescending(m => m.Quality ?? 1))
        {
            if (mediaType.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return false;
    }

    private sealed record AccountRecord(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
        [property: System.Text.Json.Serialization.JsonPropertyName("ledger")] string Ledger);
}
