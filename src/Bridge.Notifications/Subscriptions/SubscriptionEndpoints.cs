using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Auth;
using Bridge.Channels;
using Bridge.Documents;
using Bridge.Json;
using Bridge.Kernel;
using Bridge.Webhooks;
using Microsoft.Extensions.Options;

namespace Bridge.Subscriptions;

/// <summary>
/// <c>POST /api/subscriptions</c> → 201 with the subscription and its secret (shown only here),
/// <c>GET /api/subscriptions</c> → the caller's, <c>GET /api/subscriptions/{id}</c> → one with its delivery
/// status, <c>DELETE /api/subscriptions/{id}</c> → 204, <c>POST /api/subscriptions/{id}/rotate</c> → 200 with a
/// new secret (the previous one signs too for <see cref="WebhookOptions.SecretRotationOverlap"/>),
/// <c>POST /api/subscriptions/{id}/ping</c> → a test delivery, 200 when the target took it, 502 when not.
/// For an id the caller has no subscription with: 404, or 410 with the reason when it expired and was removed.
/// Every call needs credentials (a token, or an account over Basic).
/// </summary>
internal sealed class SubscriptionEndpoints(
    RequestAuthenticator authenticator,
    SubscriptionStore store,
    SubscriptionDispatcher dispatcher,
    ResourceTable resources,
    WebhookTargetPolicy targets,
    WebhookEmitter webhooks,
    IOptions<WebhookOptions> webhookOptions,
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

        if (request.EndAt is { } endAt && endAt <= timeProvider.GetUtcNow())
        {
            return InvalidBody("'endAt' is in the past: the subscription would be expired already");
        }

        if (await targets.CheckAsync(request.SendTo, context.RequestAborted) is { } refusal)
        {
            SubscriptionsLog.TargetRefused(logger, caller.Name, request.SendTo.OriginalString, refusal);
            return InvalidBody(refusal);
        }

        var subscription = new WebhookSubscription(
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
                return await MissingAsync(caller, id, context.RequestAborted);
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

    public async Task<IResult> GetAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (refused, caller) = await AuthenticateAsync(context);
        if (refused is not null)
        {
            return refused;
        }

        try
        {
            if (await store.GetAsync(caller.Name, id, context.RequestAborted) is not { } subscription)
            {
                return await MissingAsync(caller, id, context.RequestAborted);
            }

            var view = subscription.ToView();
            view["status"] = (await store.GetStatusAsync(id, context.RequestAborted)).ToView();
            return Results.Text(view.ToJsonString(), "application/json");
        }
        catch (StoreUnavailableException)
        {
            return StoreUnavailable();
        }
    }

    public async Task<IResult> RotateAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (refused, caller) = await AuthenticateAsync(context);
        if (refused is not null)
        {
            return refused;
        }

        try
        {
            if (await store.GetAsync(caller.Name, id, context.RequestAborted) is not { } subscription)
            {
                return await MissingAsync(caller, id, context.RequestAborted);
            }

            var until = timeProvider.GetUtcNow() + webhookOptions.Value.SecretRotationOverlap;
            var rotated = subscription with { Secret = WebhookSignature.NewSecret(), PreviousSecret = subscription.Secret, PreviousSecretUntil = until };
            await store.UpdateAsync(rotated, context.RequestAborted);
            await dispatcher.ReloadAsync(context.RequestAborted);
            SubscriptionsLog.SecretRotated(logger, caller.Name, id, until);
            return Results.Text(rotated.ToView(withSecret: true).ToJsonString(), "application/json");
        }
        catch (StoreUnavailableException)
        {
            return StoreUnavailable();
        }
    }

    public async Task<IResult> PingAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (refused, caller) = await AuthenticateAsync(context);
        if (refused is not null)
        {
            return refused;
        }

        WebhookSubscription subscription;
        try
        {
            if (await store.GetAsync(caller.Name, id, context.RequestAborted) is not { } found)
            {
                return await MissingAsync(caller, id, context.RequestAborted);
            }

            subscription = found;
        }
        catch (StoreUnavailableException)
        {
            return StoreUnavailable();
        }

        var notificationId = "urn:uuid:" + Guid.NewGuid().ToString("D");
        var ping = new JsonObject
        {
            ["id"] = notificationId,
            ["type"] = "Ping",
            ["published"] = IsoTime.Format(timeProvider.GetUtcNow()),
            ["topic"] = subscription.Topic.DeepClone(),
            ["data"] = null,
        };
        var result = await webhooks.SendOnceAsync(subscription, new OutgoingNotification(notificationId, JsonSerializer.SerializeToUtf8Bytes(ping)), context.RequestAborted);
        var answer = new JsonObject
        {
            ["delivered"] = result.Delivered,
            ["webhookId"] = WebhookEmitter.WebhookId(subscription.Id, notificationId),
            ["status"] = result.Status,
            ["error"] = result.Error,
        };
        SubscriptionsLog.Pinged(logger, caller.Name, id, result.Error ?? $"HTTP {result.Status}");
        return Results.Text(answer.ToJsonString(), "application/json",
            statusCode: result.Delivered ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway);
    }

    /// <summary>404, or 410 with the reason when the caller's subscription was removed (expired).</summary>
    private async Task<IResult> MissingAsync(Caller caller, string id, CancellationToken cancellationToken) =>
        await store.RemovedReasonAsync(caller.Name, id, cancellationToken) is { } reason
            ? Results.Json(new ApiError("GoneError", reason), statusCode: StatusCodes.Status410Gone)
            : Results.Json(new ApiError("NotFoundError", $"you have no subscription '{id}'"), statusCode: StatusCodes.Status404NotFound);

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
