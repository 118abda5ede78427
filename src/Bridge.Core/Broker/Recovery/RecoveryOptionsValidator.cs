using Microsoft.Extensions.Options;

namespace Bridge.Broker.Recovery;

/// <summary>Exchange names in <see cref="RecoveryOptions.Exchanges"/> must be valid and distinct.</summary>
internal sealed class RecoveryOptionsValidator : IValidateOptions<RecoveryOptions>
{
    public ValidateOptionsResult Validate(string? name, RecoveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        for (var i = 0; i < options.Exchanges.Count; i++)
        {
            if (!ExchangeName.IsValid(options.Exchanges[i], out var error))
            {
                failures.Add($"{RecoveryOptions.SectionName}:Exchanges:{i} '{options.Exchanges[i]}' is not a valid exchange name: {error}");
            }
        }

        if (options.Exchanges.Distinct(StringComparer.Ordinal).Count() != options.Exchanges.Count)
        {
            failures.Add($"{RecoveryOptions.SectionName}:Exchanges lists an exchange twice.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
