using System.Text.Json;
using Bridge.Auth;
using Bridge.Channels;
using Bridge.Documents;
using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Notifications;

/// <summary>
/// <c>GET /api/notifications?limit=50&amp;before=&lt;cursor&gt;&amp;id=&amp;status=&amp;since=&amp;until=</c> →
/// <c>{"items":[...],"next":"&lt;cursor&gt;"|null}</c>, newest first. Any valid token (or account) may read it;
/// without credentials only where channels admit anonymous connections.
/// </summary>
internal sealed class NotificationEndpoints(
    RequestAuthenticator authenticator,
    NotificationHistory history,
    IOptions<NotificationOptions> options,
    IOptions<ChannelOptions> channelOptions,
    BridgeMode mode)
{
    private readonly NotificationOptions _options = options.Value;
    private readonly bool _allowAnonymous = channelOptions.Value.AllowAnonymous ?? mode.IsEmbedded;

    public async Task<IResult> ListAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var authentication = await authenticator.AuthenticateAsync(context.Request, allowBasic: true);
        if (authentication.Outcome == AuthenticationOutcome.Rejected
            || (authentication.Outcome == AuthenticationOutcome.NoCredentials && !_allowAnonymous))
        {
            return ApiErrors.Unauthorized(context, authentication);
        }

        var parameters = context.Request.Query;
        foreach (var (name, values) in parameters)
        {
            if (values.Count > 1)
            {
                return InvalidQuery($"'{name}' is given more than once");
            }
        }

        if (!HistoryQuery.TryParse(name => parameters.TryGetValue(name, out var value) ? value.ToString() : null,
                _options.DefaultPageSize, _options.MaxPageSize, out var query, out var error))
        {
            return InvalidQuery(error);
        }

        try
        {
            return new PageResult(await history.ReadAsync(query, context.RequestAborted));
        }
        catch (StoreUnavailableException)
        {
            return Results.Json(new ApiError("StoreUnavailableError", "the document store is unavailable; try again later"),
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static IResult InvalidQuery(string message) =>
        Results.Json(new ApiError("InvalidQueryError", message), statusCode: StatusCodes.Status400BadRequest);

    /// <summary>Writes the page straight from the stored JSON, without a DTO round trip.</summary>
    private sealed class PageResult(HistoryPage page) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/json; charset=utf-8";
            await using var writer = new Utf8JsonWriter(httpContext.Response.BodyWriter);
            writer.WriteStartObject();
            NotificationsChannelResource.WritePage(writer, page);
            writer.WriteEndObject();
            await writer.FlushAsync(httpContext.RequestAborted);
        }
    }
}
