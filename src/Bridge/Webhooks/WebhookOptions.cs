using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Bridge.Webhooks;

/// <summary>Webhook delivery (section <c>Bridge:Webhooks</c>), see docs/notifications.md.</summary>
public sealed class WebhookOptions
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

    /// <summary>Deliveries waiting per subscription; when full, new events for it are dropped and counted.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>Consecutive given-up deliveries after which a subscription is disabled.</summary>
    [Range(1, 1000)]
    public int DisableAfterFailures { get; set; } = 5;

    /// <summary>How often an instance re-reads the subscriptions (to see those made on other instances).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}

internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var problems = new List<string>();
        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
            {
                problems.Add($"{WebhookOptions.SectionName}:{key} must be between 0 and 1 day (e.g. 00:00:10), not {value}");
            }
        }

        Positive(options.Timeout, nameof(WebhookOptions.Timeout));
        Positive(options.RetryDelay, nameof(WebhookOptions.RetryDelay));
        Positive(options.MaxRetryDelay, nameof(WebhookOptions.MaxRetryDelay));
        Positive(options.RefreshInterval, nameof(WebhookOptions.RefreshInterval));
        if (options.RetryDelay > options.MaxRetryDelay)
        {
            problems.Add($"{WebhookOptions.SectionName}:RetryDelay is larger than MaxRetryDelay");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
