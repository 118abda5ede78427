using System.ComponentModel.DataAnnotations;

namespace Bridge.Webhooks;

/// <summary>Webhook delivery (section <c>Bridge:Webhooks</c>), see docs/notifications.md.</summary>
internal sealed class WebhookOptions
{
    public const string SectionName = "Bridge:Webhooks";

    /// <summary>Attempts per delivery, the first included; then it is given up (counted and logged).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Limit of one attempt (connect, send, response headers).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First retry delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of a retry delay, a Retry-After included.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Consecutive given-up deliveries after which a subscription is disabled.</summary>
    [Range(1, 1000)]
    public int DisableAfterFailures { get; set; } = 5;

    /// <summary>How often an instance re-reads the subscriptions (to see those made on other instances).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether <c>http://</c> targets are accepted (by default only <c>https://</c>).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// Targets allowed although they are (or resolve to) loopback, link-local, private, multicast or
    /// unspecified addresses: host names (matched as written in <c>sendTo</c>), IP addresses or CIDR ranges.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>After <c>POST /api/subscriptions/{id}/rotate</c>, how long the previous secret still signs too.</summary>
    public TimeSpan SecretRotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The broker's consumer (acknowledgement) timeout: RabbitMQ's <c>consumer_timeout</c>, 30 minutes by
    /// default. A delivery in hand stays unacknowledged until the target answered or the delivery was given
    /// up, so the longest delivery (every attempt, every retry delay, a subscription's rate) must fit in it.
    /// </summary>
    public TimeSpan BrokerAckTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The longest a delivery can take: every attempt timing out, every retry delay at its maximum.</summary>
    public TimeSpan LongestDelivery => Timeout * MaxAttempts + MaxRetryDelay * (MaxAttempts - 1);
}
