using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Bridge.Auth;
using Bridge.Broker;
using Bridge.Json;

namespace Bridge.Publishing;

/// <summary>
/// <c>POST /api/publish</c> <c>{"exchange":..,"routingKey":..,"payload":&lt;JSON&gt;}</c>: an admin puts a message
/// on the broker (the demo and operators use it to inject ledger or RackHD events by hand).
/// </summary>
internal sealed partial class PublishEndpoint(
    RequestAuthenticator authenticator,
    IBroker broker,
    PublishTargets targets,
    ILogger<PublishEndpoint> logger)
{
    public const int MaximumBodyBytes = 1024 * 1024;

    // AMQP 0-9-1 short strings: exchange names and routing keys are at most 255 bytes.
    private const int MaximumShortStringBytes = 255;

    private static readonly IResult Published = Results.Json(new PublishResponse(true), statusCode: StatusCodes.Status202Accepted);

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var authentication = await authenticator.AuthenticateAsync(context.Request, allowBasic: true);
        if (authentication.Outcome != AuthenticationOutcome.Authenticated)
        {
            return ApiErrors.Unauthorized(context, authentication);
        }

        var caller = authentication.Caller!;
        if (!caller.IsAdmin)
        {
            return ApiErrors.Forbidden("publishing requires an admin account");
        }

        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            return InvalidBody($"the body is larger than {MaximumBodyBytes} bytes");
        }

        if (!TryParse(body, out var request, out var error))
        {
            return InvalidBody(error);
        }

        var target = targets.Classify(request.Exchange);
        if (target == PublishTarget.Forbidden)
        {
            return ApiErrors.Forbidden($"publishing to exchange '{request.Exchange}' is not allowed");
        }

        try
        {
            if (target == PublishTarget.Configured)
            {
                await broker.PublishAsync(request.Exchange, request.RoutingKey, request.Payload, context.RequestAborted);
            }
            else
            {
                await broker.PublishToExistingAsync(request.Exchange, request.RoutingKey, request.Payload, context.RequestAborted);
            }
        }
        catch (ExchangeNotFoundException)
        {
            LogExchangeNotFound(logger, caller.Name, request.Exchange);
            return Results.Json(
                new ApiError("NotFoundError", $"the exchange '{request.Exchange}' does not exist; the bridge creates only the exchanges it is configured with"),
                statusCode: StatusCodes.Status404NotFound);
        }
        catch (BrokerUnavailableException exception)
        {
            LogBrokerUnavailable(logger, request.Exchange, request.RoutingKey, exception);
            return Results.Json(new ApiError("BrokerUnavailableError", "the broker is unavailable; try again later"),
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        LogPublished(logger, caller.Name, request.Exchange, request.RoutingKey, request.Payload.Length);
        return Published;
    }

    /// <summary>The body, or null when it is over <see cref="MaximumBodyBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaximumBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaximumBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    internal static bool TryParse(byte[] body, out PublishRequest request, out string error)
    {
        request = default;
        JsonDocument document;
        try
        {
            document = UntrustedJson.ParseDocument(body);
        }
        catch (JsonException exception)
        {
            error = $"the body is not valid JSON: {exception.Message}";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "the body must be a JSON object {\"exchange\":..,\"routingKey\":..,\"payload\":..}";
                return false;
            }

            if (!root.TryGetProperty("exchange", out var exchangeElement) || exchangeElement.ValueKind != JsonValueKind.String
                || exchangeElement.GetString() is not { Length: > 0 } exchange)
            {
                error = "'exchange' must be a non-empty string";
                return false;
            }

            // The broker's own rules, checked here so a name it would refuse is the caller's 400, not a failed publish.
            if (!ExchangeName.IsValid(exchange, out var exchangeError))
            {
                error = $"'exchange' is not a valid exchange name: {exchangeError}";
                return false;
            }

            var routingKey = "";
            if (root.TryGetProperty("routingKey", out var routingKeyElement))
            {
                if (routingKeyElement.ValueKind != JsonValueKind.String)
                {
                    error = "'routingKey' must be a string";
                    return false;
                }

                routingKey = routingKeyElement.GetString()!;
                if (Encoding.UTF8.GetByteCount(routingKey) > MaximumShortStringBytes)
                {
                    error = $"'routingKey' is longer than {MaximumShortStringBytes} bytes";
                    return false;
                }
            }

            if (!root.TryGetProperty("payload", out var payload))
            {
                error = "'payload' is missing";
                return false;
            }

            // The payload's own bytes as the client sent them, copied because the document is disposed here.
            request = new PublishRequest(exchange, routingKey, JsonMarshal.GetRawUtf8Value(payload).ToArray());
            error = "";
            return true;
        }
    }

    private static IResult InvalidBody(string message) =>
        Results.Json(new ApiError("InvalidBodyError", message), statusCode: StatusCodes.Status400BadRequest);

    [LoggerMessage(EventId = 3040, EventName = "Published", Level = LogLevel.Information,
        Message = "{Caller} published {Bytes} bytes to exchange '{Exchange}' with routing key '{RoutingKey}'")]
    private static partial void LogPublished(ILogger logger, string caller, string exchange, string routingKey, int bytes);

    [LoggerMessage(EventId = 3042, EventName = "PublishExchangeNotFound", Level = LogLevel.Information,
        Message = "{Caller} published to exchange '{Exchange}', which does not exist: refused with 404")]
    private static partial void LogExchangeNotFound(ILogger logger, string caller, string exchange);

    [LoggerMessage(EventId = 3041, EventName = "PublishBrokerUnavailable", Level = LogLevel.Warning,
        Message = "Publishing to exchange '{Exchange}' with routing key '{RoutingKey}' failed: the broker is unavailable")]
    private static partial void LogBrokerUnavailable(ILogger logger, string exchange, string routingKey, Exception exception);
}
