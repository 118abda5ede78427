using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Bridge.Observability;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Bridge.Webhooks;

/// <summary>
/// The emitter of the <c>webhook</c> channel type: POSTs the serialized notification to the subscription's
/// <c>sendTo</c> with the Standard Webhooks headers (<see cref="WebhookSignature"/>): <c>webhook-id</c> (the
/// same for one event to one subscription on every attempt and every instance), <c>webhook-timestamp</c> (of
/// the attempt) and <c>webhook-signature</c>, plus <c>X-Bridge-Subscription</c>. One Polly pipeline, built
/// once, retries network errors, attempt timeouts, 5xx and 429 with exponential backoff and jitter (a
/// Retry-After is honoured, up to <see cref="WebhookOptions.MaxRetryDelay"/>) and gives up after
/// <see cref="WebhookOptions.MaxAttempts"/> attempts. A target the <see cref="WebhookTargetPolicy"/> refuses
/// is not retried: nothing was sent to it.
/// </summary>
internal sealed partial class WebhookEmitter : INotificationEmitter
{
    public const string HttpClientName = "Bridge.Webhooks";
    public const string SubscriptionHeader = "X-Bridge-Subscription";

    /// <summary>How much of a refusing target's answer is read (into the subscription's last error); the rest is never read.</summary>
    public const int MaxResponseBodyBytes = 512;

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _httpClients;
    private readonly ResiliencePipeline<HttpResponseMessage> _retrying;
    private readonly ResiliencePipeline<HttpResponseMessage> _once;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<WebhookEmitter> _logger;
    private readonly BridgeMetrics _metrics;

    public WebhookEmitter(IHttpClientFactory httpClients, IOptions<WebhookOptions> options, TimeProvider timeProvider, BridgeMetrics metrics, ILogger<WebhookEmitter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClients = httpClients;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = metrics;
        var settings = options.Value;
        // Polly's retry needs at least one retry: MaxAttempts = 1 (allowed) means the attempt alone.
        var retrying = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider };
        if (settings.MaxAttempts > 1)
        {
            retrying.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>(static ex => !IsRefusedTarget(ex))
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
            });
        }

        _retrying = retrying.AddTimeout(settings.Timeout).Build();
        _once = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }.AddTimeout(settings.Timeout).Build();
    }

    public string ChannelType => WebhookSubscription.WebhookType;

    /// <summary>The <c>webhook-id</c> of one notification to one subscription: derived, so every instance and attempt agrees.</summary>
    public static string WebhookId(string subscriptionId, string notificationId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(subscriptionId + "\n" + notificationId));
        return "msg_" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    public Task<DeliveryResult> EmitAsync(WebhookSubscription subscription, OutgoingNotification notification, CancellationToken cancellationToken) =>
        SendAsync(subscription, notification, _retrying, cancellationToken);

    /// <summary>One attempt, no retry (a test delivery, <c>POST /api/subscriptions/{id}/ping</c>).</summary>
    public Task<DeliveryResult> SendOnceAsync(WebhookSubscription subscription, OutgoingNotification notification, CancellationToken cancellationToken) =>
        SendAsync(subscription, notification, _once, cancellationToken);

    private async Task<DeliveryResult> SendAsync(WebhookSubscription subscription, OutgoingNotification notification,
        ResiliencePipeline<HttpResponseMessage> pipeline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(notification);
        var state = new Attempt(_httpClients.CreateClient(HttpClientName), subscription, notification,
            WebhookId(subscription.Id, notification.Id), _timeProvider);

        // The POST is a span of the producer's trace; receivers see it in traceparent (written by HttpClient from
        // the current span, or by BridgeTracing when no span is recorded).
        using var activity = BridgeTracing.Source.StartActivity("webhook deliver", System.Diagnostics.ActivityKind.Producer, notification.TraceContext);
        try
        {
            using var response = await pipeline.ExecuteAsync(static async (s, ct) =>
            {
                s.Count++;

                // Signed per attempt: the timestamp is the attempt's, so receivers' 5-minute tolerance holds on retries.
                var now = s.Time.GetUtcNow();
                using var request = new HttpRequestMessage(HttpMethod.Post, s.Subscription.SendTo)
                {
                    Content = new ReadOnlyMemoryContent(s.Notification.Body) { Headers = { ContentType = Json } },
                };
                request.Headers.TryAddWithoutValidation(WebhookSignature.IdHeader, s.WebhookId);
                request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader,
                    WebhookSignature.Sign(s.Subscription.SigningKeys(now), s.WebhookId, now, s.Notification.Body.Span));
                request.Headers.TryAddWithoutValidation(SubscriptionHeader, s.Subscription.Id);
                BridgeTracing.InjectIntoRequest(request, s.Notification.TraceContext);
                return await s.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }, state, cancellationToken);

            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                _metrics.WebhookAttempt("delivered");
                LogDelivered(_logger, state.WebhookId, subscription.Id, status);
                return new DeliveryResult(true, state.Count, status, null);
            }

            // A refusal the pipeline would have retried means the attempts ran out; any other is the target's final word.
            _metrics.WebhookAttempt(IsRetryable(response.StatusCode) ? "gave_up" : "failed");
            var answer = await ReadBoundedAsync(response, cancellationToken);
            LogRefused(_logger, state.WebhookId, subscription.Id, status);
            return new DeliveryResult(false, state.Count, status,
                $"the target answered HTTP {status}" + (answer.Length > 0 ? ": " + answer : ""));
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException)
        {
            var reason = IsRefusedTarget(ex) ? ex.InnerException!.Message : ex.Message;
            _metrics.WebhookAttempt(IsRefusedTarget(ex) ? "failed" : "gave_up");
            LogFailed(_logger, state.WebhookId, subscription.Id, reason);
            return new DeliveryResult(false, state.Count, null, reason);
        }
    }

    private static bool IsRefusedTarget(Exception ex) => ex.InnerException is WebhookTargetRefusedException;

    private static bool IsRetryable(HttpStatusCode status) => (int)status >= 500 || status == HttpStatusCode.TooManyRequests;

    /// <summary>At most <see cref="MaxResponseBodyBytes"/> of the answer, as text: a target cannot make us read more.</summary>
    private static async Task<string> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxResponseBodyBytes];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
            {
                read += n;
            }

            return Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return "";
        }
    }

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

    private sealed class Attempt(HttpClient client, WebhookSubscription subscription, OutgoingNotification notification, string webhookId, TimeProvider time)
    {
        public HttpClient Client { get; } = client;

        public WebhookSubscription Subscription { get; } = subscription;

        public OutgoingNotification Notification { get; } = notification;

        public string WebhookId { get; } = webhookId;

        public TimeProvider Time { get; } = time;

        public int Count { get; set; }
    }

    [LoggerMessage(EventId = 9150, EventName = "WebhookDelivered", Level = LogLevel.Debug,
        Message = "Webhook {WebhookId} delivered to subscription {SubscriptionId} (HTTP {Status})")]
    private static partial void LogDelivered(ILogger logger, string webhookId, string subscriptionId, int status);

    [LoggerMessage(EventId = 9151, EventName = "WebhookRetrying", Level = LogLevel.Information,
        Message = "Webhook attempt {Attempt} in {Delay} after: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 9152, EventName = "WebhookRefused", Level = LogLevel.Warning,
        Message = "Webhook {WebhookId} to subscription {SubscriptionId}: the target answered HTTP {Status}")]
    private static partial void LogRefused(ILogger logger, string webhookId, string subscriptionId, int status);

    [LoggerMessage(EventId = 9153, EventName = "WebhookFailed", Level = LogLevel.Warning,
        Message = "Webhook {WebhookId} to subscription {SubscriptionId} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string webhookId, string subscriptionId, string reason);
}
