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
