using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Auth;
using Bridge.Channels;
using Bridge.Documents;
using Bridge.Json;
using Bridge.Webhooks;

namespace Bridge.Subscriptions;

/// <summary>
/// <c>POST /api/subscriptions</c> → 201 with the subscription and its secret (shown only here),
/// <c>GET /api/subscriptions</c> → the caller's, <c>DELETE /api/subscriptions/{id}</c> → 204 (404 when the
/// caller has none with that id). Every call needs credentials (a token, or an account over Basic).
/// </summary>
public sealed class SubscriptionEndpoints(
    RequestAuthenticator authenticator,
    SubscriptionStore store,
    SubscriptionDispatcher dispatcher,
    ResourceTable resources,
    TimeProvider timeProvider,
    ILogger<SubscriptionEndpoints> logger)
{
    public const int MaximumBodyBytes = 64 * 1024;

    public async Task<IResult> CreateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (refused, caller) = await AuthenticateAsync(context);
        if (refused is not null)
        {
            return refused;
        }

        if (context.Request.ContentLength > MaximumBodyBytes)
        {
            return InvalidBody($"the body is larger than {MaximumBodyBytes} bytes");
        }

        JsonNode? body;
        try
        {
            using var limited = new MemoryStream();
            await context.Request.Body.CopyToAsync(limited, context.RequestAborted);
            if (limited.Length > MaximumBodyBytes)
            {
                return InvalidBody($"the body is larger than {MaximumBodyBytes} bytes");
            }

            body = UntrustedJson.ParseNode(limited.ToArray());
        }
        catch (JsonException ex)
        {
            return InvalidBody($"the body is not valid JSON: {ex.Message}");
        }

        if (!SubscriptionRequest.TryParse(body, resources, out var request, out var error))
        {
            return InvalidBody(error);
        }

        var subscription = new Subscription(
            DocumentIds.New(timeProvider), caller.Name, request.Type, request.Topic, request.SendTo, WebhookSignature.NewSecret(),
            request.Rate, request.StartAt, request.EndAt, timeProvider.GetUtcNow());
        try
        {
            await store.CreateAsync(subscription, context.RequestAborted);

            // Active on this instance before the client hears of it; other instances see it at their next refresh.
            await dispatcher.ReloadAsync(context.RequestAborted);
        }
        catch (StoreUnavailableException)
        {
            return StoreUnavailable();
        }

        SubscriptionsLog.Created(logger, caller.Name, subscription.Id, subscription.Type, request.Binding.Exchange, request.Binding.BindingKey, subscription.SendTo);
        return Results.Text(subscription.ToView(withSecret: true).ToJsonString(), "application/json", statusCode: StatusCodes.Status201Created);
    }

    public async Task<IResult> ListAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (refused, caller) = await AuthenticateAsync(context);
        if (refused is not null)
        {
            return refused;
        }

        try
        {
            var mine = await store.ListAsync(caller.Name, context.RequestAborted);
            var items = new JsonArray([.. mine.Select(s => (JsonNode)s.ToView())]);
            return Results.Text(new JsonObject { ["items"] = items }.ToJsonString(), "application/json");
        }
        catch (StoreUnavailableException)
        {
            return StoreUnavailable();
        }
    }

    public async Task<IResult> DeleteAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (refused, caller) = await AuthenticateAsync(context);
        if (refused is not null)
        {
            return refused;
        }

        try
        {
            if (!await store.DeleteAsync(caller.Name, id, context.RequestAborted))
            {
                return Results.Json(new ApiError("NotFoundError", $"you have no subscription '{id}'"), statusCode: StatusCodes.Status404NotFound);
            }

            await dispatcher.ReloadAsync(context.RequestAborted);
        }
        catch (StoreUnavailableException)
        {
            return StoreUnavailable();
        }

        SubscriptionsLog.Deleted(logger, caller.Name, id);
        return Results.NoContent();
    }

    private async ValueTask<(IResult? Refused, Caller Caller)> AuthenticateAsync(HttpContext context)
    {
        var authentication = await authenticator.AuthenticateAsync(context.Request, allowBasic: true);
        var caller = authentication.Caller ?? Caller.Anonymous;
        return authentication.Outcome == AuthenticationOutcome.Authenticated
            ? (null, caller)
            : (ApiErrors.Unauthorized(context, authentication.Outcome == AuthenticationOutcome.NoCredentials
                ? "subscribing needs credentials (a token, or an account over Basic)"
                : authentication.Reason ?? "credentials rejected"), caller);
    }

    private static IResult InvalidBody(string message) =>
        Results.Json(new ApiError("InvalidBodyError", message), statusCode: StatusCodes.Status400BadRequest);

    private static IResult StoreUnavailable() =>
        Results.Json(new ApiError("StoreUnavailableError", "the document store is unavailable; try again later"),
            statusCode: StatusCodes.Status503ServiceUnavailable);
}
