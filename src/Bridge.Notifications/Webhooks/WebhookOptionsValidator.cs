using Microsoft.Extensions.Options;

namespace Bridge.Webhooks;

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
        Positive(options.SecretRotationOverlap, nameof(WebhookOptions.SecretRotationOverlap));
        Positive(options.BrokerAckTimeout, nameof(WebhookOptions.BrokerAckTimeout));
        if (options.RetryDelay > options.MaxRetryDelay)
        {
            problems.Add($"{WebhookOptions.SectionName}:RetryDelay is larger than MaxRetryDelay");
        }

        var held = options.LongestDelivery + WebhookSubscription.MaxRate;
        if (held >= options.BrokerAckTimeout)
        {
            problems.Add($"{WebhookOptions.SectionName}:MaxAttempts x Timeout + retry delays ({options.LongestDelivery}) plus the largest rate "
                + $"({WebhookSubscription.MaxRate}) must stay under {WebhookOptions.SectionName}:BrokerAckTimeout ({options.BrokerAckTimeout}): "
                + "the broker would take a delivery back while it is still being tried");
        }

        for (var i = 0; i < options.AllowedHosts.Length; i++)
        {
            if (!WebhookTargetPolicy.IsValidAllowedHost(options.AllowedHosts[i]))
            {
                problems.Add($"{WebhookOptions.SectionName}:AllowedHosts:{i} must be a host name, an IP address or a CIDR range, not '{options.AllowedHosts[i]}'");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
