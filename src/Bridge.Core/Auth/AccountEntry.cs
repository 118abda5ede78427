namespace Bridge.Auth;

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
