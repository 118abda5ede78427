using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Bridge.Auth;

/// <summary>
/// The accounts under <c>Bridge:Accounts</c>, a list. The section is <c>Bridge</c> because the list itself is
/// the configured value: <c>Bridge:Accounts:0:Name</c>, <c>Bridge:Accounts:0:PasswordHash</c>, ...
/// </summary>
public sealed class AccountsOptions
{
    public const string SectionName = "Bridge";

    public const string AccountsKey = "Bridge:Accounts";

    public List<AccountEntry> Accounts { get; } = [];
}

/// <summary>One configured account. Exactly one of <see cref="Password"/> and <see cref="PasswordHash"/> is set.</summary>
public sealed class AccountEntry
{
    public string? Name { get; set; }

    /// <summary>A hash printed by <c>Bridge hash-password</c>.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>Plain text, for development only: hashed in memory at start and logged as a warning.</summary>
    public string? Password { get; set; }

    public bool IsAdmin { get; set; }

    /// <summary>Where this entry came from (e.g. <c>Bridge:Accounts:2</c>), so that errors name the key.</summary>
    public string ConfigurationPath { get; internal set; } = AccountsOptions.AccountsKey;
}

internal static partial class AccountNames
{
    public const string Pattern = "^[a-zA-Z0-9_-]{1,86}$";

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    public static partial Regex Valid();
}

/// <summary>Checks what DataAnnotations cannot: name syntax, uniqueness, one password form, a parsable hash.</summary>
internal sealed class AccountsOptionsValidator : IValidateOptions<AccountsOptions>
{
    public ValidateOptionsResult Validate(string? name, AccountsOptions options)
    {
        var errors = new List<string>();
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in options.Accounts)
        {
            var path = entry.ConfigurationPath;
            if (string.IsNullOrEmpty(entry.Name))
            {
                errors.Add($"{path}:Name is required.");
            }
            else if (!AccountNames.Valid().IsMatch(entry.Name))
            {
                errors.Add($"{path}:Name '{entry.Name}' does not match {AccountNames.Pattern}.");
            }
            else if (seen.TryGetValue(entry.Name, out var firstPath))
            {
                errors.Add($"{path}:Name '{entry.Name}' is already used by {firstPath}:Name (names are case-insensitive).");
            }
            else
            {
                seen.Add(entry.Name, path);
            }

            var hasPassword = !string.IsNullOrEmpty(entry.Password);
            var hasHash = !string.IsNullOrEmpty(entry.PasswordHash);
            if (hasPassword == hasHash)
            {
                errors.Add($"{path}: set exactly one of {path}:Password and {path}:PasswordHash.");
            }
            else if (hasHash && !PasswordHasher.TryParse(entry.PasswordHash, out _, out var hashError))
            {
                errors.Add($"{path}:PasswordHash {hashError}.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
