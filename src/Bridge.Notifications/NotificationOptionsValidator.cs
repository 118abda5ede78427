using Bridge.Broker;
using Microsoft.Extensions.Options;

namespace Bridge.Notifications;

internal sealed class NotificationOptionsValidator : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        var problems = new List<string>();
        if (!ExchangeName.IsValid(options.Exchange, out var exchangeError))
        {
            problems.Add($"{NotificationOptions.SectionName}:Exchange '{options.Exchange}' is not a valid exchange name: {exchangeError}");
        }

        if (options.Retention <= TimeSpan.Zero)
        {
            problems.Add($"{NotificationOptions.SectionName}:Retention must be positive (e.g. 30.00:00:00), not {options.Retention}");
        }

        if (string.IsNullOrWhiteSpace(options.HistoryQueue) || options.HistoryQueue.Length > 200)
        {
            problems.Add($"{NotificationOptions.SectionName}:HistoryQueue must be a queue name of 1 to 200 characters");
        }

        if (options.DefaultPageSize > options.MaxPageSize)
        {
            problems.Add($"{NotificationOptions.SectionName}:DefaultPageSize ({options.DefaultPageSize}) is larger than MaxPageSize ({options.MaxPageSize})");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
