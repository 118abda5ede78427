using Microsoft.Extensions.Options;

namespace Bridge.Auth;

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
