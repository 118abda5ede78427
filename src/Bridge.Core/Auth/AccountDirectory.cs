using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Auth;

/// <summary>
/// The accounts of this bridge (from <c>Bridge:Accounts</c>), looked up by name without regard to case.
/// In embedded mode with no account configured it holds a generated <c>admin</c> so that the demo's
/// publish API can be used; its password is logged once.
/// </summary>
public sealed partial class AccountDirectory
{
    public const string EmbeddedAdminName = "admin";

    private static readonly PasswordHash DecoyHash = PasswordHasher.Create(RandomNumberGenerator.GetHexString(32));

    private readonly Dictionary<string, Account> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _accountUriPrefix;

    public AccountDirectory(
        IOptions<AccountsOptions> options,
        IOptions<BridgeOptions> bridgeOptions,
        BridgeMode mode,
        ILogger<AccountDirectory> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(bridgeOptions);
        ArgumentNullException.ThrowIfNull(mode);

        PublicUrl = bridgeOptions.Value.PublicUrl.TrimEnd('/');
        _accountUriPrefix = PublicUrl + "/accounts/";

        foreach (var entry in options.Value.Accounts)
        {
            // The options validator has run (ValidateOnStart), so names and hashes are known to be good.
            var name = entry.Name!;
            PasswordHash hash;
            if (!string.IsNullOrEmpty(entry.Password))
            {
                LogPlainTextPassword(logger, name, entry.ConfigurationPath);
                hash = PasswordHasher.Create(entry.Password);
            }
            else if (!PasswordHasher.TryParse(entry.PasswordHash, out hash!, out var error))
            {
                throw new OptionsValidationException(AccountsOptions.AccountsKey, typeof(AccountsOptions),
                    [$"{entry.ConfigurationPath}:PasswordHash {error}."]);
            }

            _accounts.Add(name, new Account(name, entry.IsAdmin, hash));
        }

        if (_accounts.Count == 0 && mode.IsEmbedded)
        {
            var password = RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 20);
            _accounts.Add(EmbeddedAdminName, new Account(EmbeddedAdminName, true, PasswordHasher.Create(password)));
            LogGeneratedAdmin(logger, EmbeddedAdminName, password);
        }
        else if (_accounts.Count == 0)
        {
            LogNoAccounts(logger);
        }
    }

    /// <summary>The public base URI, without a trailing slash.</summary>
    public string PublicUrl { get; }

    public IReadOnlyCollection<Account> Accounts => _accounts.Values;

    public bool TryFind(string name, [NotNullWhen(true)] out Account? account) =>
        _accounts.TryGetValue(name ?? throw new ArgumentNullException(nameof(name)), out account);

    /// <summary>
    /// The account when <paramref name="password"/> is its password, otherwise null. An unknown name costs the
    /// same hash computation as a known one, so the answer time does not tell which names exist.
    /// </summary>
    public Account? Verify(string name, string password)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(password);
        if (!_accounts.TryGetValue(name, out var account))
        {
            PasswordHasher.Verify(password, DecoyHash);
            return null;
        }

        return PasswordHasher.Verify(password, account.PasswordHash) ? account : null;
    }

    /// <summary><c>&lt;PublicUrl&gt;/accounts/&lt;name&gt;</c>, the account's id in tokens and in the ledger API.</summary>
    public string AccountUri(string name) => _accountUriPrefix + name;

    /// <summary>The account named by an account URI of this bridge; false for any other URI.</summary>
    public bool TryFindByUri(string uri, [NotNullWhen(true)] out Account? account)
    {
        ArgumentNullException.ThrowIfNull(uri);
        account = null;
        return uri.StartsWith(_accountUriPrefix, StringComparison.Ordinal)
            && _accounts.TryGetValue(uri[_accountUriPrefix.Length..], out account);
    }

    [LoggerMessage(EventId = 3000, EventName = "PlainTextPassword", Level = LogLevel.Warning,
        Message = "Account '{Account}' has a plain-text password ({Path}:Password); use {Path}:PasswordHash from 'Bridge hash-password' outside development")]
    private static partial void LogPlainTextPassword(ILogger logger, string account, string path);

    [LoggerMessage(EventId = 3001, EventName = "GeneratedEmbeddedAdmin", Level = LogLevel.Warning,
        Message = "embedded mode: generated admin account '{Account}' with password {Password} — configure Bridge:Accounts for real use")]
    private static partial void LogGeneratedAdmin(ILogger logger, string account, string password);

    [LoggerMessage(EventId = 3002, EventName = "NoAccounts", Level = LogLevel.Warning,
        Message = "No accounts are configured under Bridge:Accounts: nobody can log in")]
    private static partial void LogNoAccounts(ILogger logger);
}
