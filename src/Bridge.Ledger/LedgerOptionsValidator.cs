using System.Text.RegularExpressions;
using Bridge.Broker;
using Microsoft.Extensions.Options;

namespace Bridge.Ledger;

internal sealed partial class LedgerOptionsValidator : IValidateOptions<LedgerOptions>
{
    public ValidateOptionsResult Validate(string? name, LedgerOptions options)
    {
        var problems = new List<string>();
        if (!ExchangeName.IsValid(options.Exchange, out var exchangeError))
        {
            problems.Add($"{LedgerOptions.SectionName}:Exchange: {exchangeError}");
        }

        if (!QueueName().IsMatch(options.ValidationQueue ?? ""))
        {
            problems.Add($"{LedgerOptions.SectionName}:ValidationQueue must be 1-200 of letters, digits, '-', '_', '.', ':'");
        }

        if (options.Scale > options.Precision)
        {
            problems.Add($"{LedgerOptions.SectionName}:Scale ({options.Scale}) must not exceed {LedgerOptions.SectionName}:Precision ({options.Precision})");
        }

        for (var i = 0; i < options.Connectors.Count; i++)
        {
            if (!LedgerUris.IsValidAccountName(options.Connectors[i]))
            {
                problems.Add($"{LedgerOptions.SectionName}:Connectors:{i} ('{options.Connectors[i]}') is not an account name (^[a-zA-Z0-9_-]{{1,86}}$)");
            }
        }

        foreach (var (key, value) in options.Urls)
        {
            if (!LedgerOptions.UrlNames.Contains(key))
            {
                problems.Add($"{LedgerOptions.SectionName}:Urls:{key} is not a ledger URL name (one of {string.Join(", ", LedgerOptions.UrlNames)})");
            }
            else if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"{LedgerOptions.SectionName}:Urls:{key} must be an absolute http(s) URL");
            }
        }

        if (!string.IsNullOrEmpty(options.DashboardPath) && !options.DashboardPath.StartsWith('/'))
        {
            problems.Add($"{LedgerOptions.SectionName}:DashboardPath must start with '/' (or be empty)");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,200}$")]
    private static partial Regex QueueName();
}
