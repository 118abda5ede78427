using System.Net;
using System.Net.Http.Headers;
using Bridge.Observability;
using Bridge.Subscriptions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Bridge.Webhooks;

/// <summary>
/// The emitter of the <c>webhook</c> channel type: POSTs the serialized notification to the subscription's
/// <c>sendTo</c>, signed (<see cref="WebhookSignature"/>), with <c>X-Bridge-Subscription</c> and
/// <c>X-Bridge-Delivery</c> (the notification id, the same on every retry). One Polly pipeline, built once,
/// retries network errors, attempt timeouts, 5xx and 429 with exponential backoff and jitter (a Retry-After
/// is honoured, up to <see cref="WebhookOptions.MaxRetryDelay"/>) and gives up after
/// <see cref="WebhookOptions.MaxAttempts"/> attempts.
/// </summary>
public sealed partial class WebhookEmitter : INotificationEmitter
{
    public const string HttpClientName = "Bridge.Webhooks";
    public const string SubscriptionHeader = "X-Bridge-Subscription";
    public const string DeliveryHeader = "X-Bridge-Delivery";

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _httpClients;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ILogger<WebhookEmitter> _logger;
    private readonly BridgeMetrics _metrics;

    public WebhookEmitter(IHttpClientFactory httpClients, IOptions<WebhookOptions> options, TimeProvider timeProvider, BridgeMetrics metrics, ILogger<WebhookEmitter> logger)
    {
        _httpClients = httpClients;
        _logger = logger;
        _metrics = metrics;
        var settings = options.Value;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(static response => IsRetryable(response.StatusCode)),
                MaxRetryAttempts = settings.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryDelay,
                MaxDelay = settings.MaxRetryDelay,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, timeProvider, settings.MaxRetryDelay)),
                OnRetry = args =>
                {
                    _metrics.WebhookAttempt("retried");
                    LogRetrying(_logger, args.AttemptNumber + 1, args.RetryDelay,
                        args.Outcome.Exception?.Message ?? $"HTTP {(int?)args.Outcome.Result?.StatusCode}");
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(settings.Timeout)
            .Build();
    }

    public string ChannelType => Subscription.WebhookType;

    public async Task<bool> EmitAsync(Subscription subscription, OutgoingNotification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(notification);
        var client = _httpClients.CreateClient(HttpClientName);
        var state = (Client: client, Subscription: subscription, Notification: notification,
            Signature: WebhookSignature.Compute(subscription.Secret, notification.Body.Span));

        // The POST is a span of the producer's trace; receivers see it in traceparent (written by HttpClient from
        // the current span, or by BridgeTracing when no span is recorded).
        using var activity = BridgeTracing.Source.StartActivity("webhook deliver", System.Diagnostics.ActivityKind.Producer, notification.TraceContext);
        try
        {
            using var response = await _pipeline.ExecuteAsync(static async (s, ct) =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, s.Subscription.SendTo)
                {
                    Content = new ReadOnlyMemoryContent(s.Notification.Body) { Headers = { ContentType = Json } },
                };
                request.Headers.TryAddWithoutValidation(WebhookSignature.Header, s.Signature);
                request.Headers.TryAddWithoutValidation(SubscriptionHeader, s.Subscription.Id);
                request.Headers.TryAddWithoutValidation(DeliveryHeader, s.Notification.Id);
                BridgeTracing.InjectIntoRequest(request, s.Notification.TraceContext);
                return await s.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }, state, cancellationToken);

            if (response.IsSuccessStatusCode)
            {
                _metrics.WebhookAttempt("delivered");
                LogDelivered(_logger, notification.Id, subscription.Id, (int)response.StatusCode);
                return true;
            }

            // A refusal the pipeline would have retried means the attempts ran out; any other is the target's final word.
            _metrics.WebhookAttempt(IsRetryable(response.StatusCode) ? "gave_up" : "failed");
            LogRefused(_logger, notification.Id, subscription.Id, (int)response.StatusCode);
            return false;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException)
        {
            _metrics.WebhookAttempt("gave_up");
            LogFailed(_logger, notification.Id, subscription.Id, ex.Message);
            return false;
        }
    }

    private static bool IsRetryable(HttpStatusCode status) => (int)status >= 500 || status == HttpStatusCode.TooManyRequests;

    /// <summary>The server's Retry-After (seconds or a date) when it sent one, else null for the backoff's own delay.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider timeProvider, TimeSpan max)
    {
        if (response?.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        var delay = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - timeProvider.GetUtcNow() : null);
        return delay is { } d ? TimeSpan.FromTicks(Math.Clamp(d.Ticks, 0, max.Ticks)) : null;
    }

    [LoggerMessage(EventId = 9150, EventName = "WebhookDelivered", Level = LogLevel.Debug,
        Message = "Notification {NotificationId} delivered to subscription {SubscriptionId} (HTTP {Status})")]
    private static partial void LogDelivered(ILogger logger, string notificationId, string subscriptionId, int status);

    [LoggerMessage(EventId = 9151, EventName = "WebhookRetrying", Level = LogLevel.Information,
        Message = "Webhook attempt {Attempt} in {Delay} after: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 9152, EventName = "WebhookRefused", Level = LogLevel.Warning,
        Message = "Notification {NotificationId} to subscription {SubscriptionId}: the target answered HTTP {Status}")]
    private static partial void LogRefused(ILogger logger, string notificationId, string subscriptionId, int status);

    [LoggerMessage(EventId = 9153, EventName = "WebhookFailed", Level = LogLevel.Warning,
        Message = "Notification {NotificationId} to subscription {SubscriptionId} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string notificationId, string subscriptionId, string reason);
}
