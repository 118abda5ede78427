using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Bridge.Auth;

/// <summary>
/// Every password check goes through here (issue 11 item 6): wrong passwords are counted per client address and
/// per account in fixed windows (System.Threading.RateLimiting, the limiters behind ASP.NET Core's rate-limiting
/// middleware), a sender over either budget is refused (429) without a hash being computed, and the hashes
/// themselves run at most <see cref="AuthOptions.MaxConcurrentPasswordChecks"/> at a time, the others queued for
/// a short while (503 beyond it), on low-priority threads of their own (<see cref="PasswordHashThreads"/>), so
/// guessing can never take the cores the connections need.
/// </summary>
/// <remarks>
/// The middleware's policies are not used because they count every request before its outcome is known: a
/// client that sends correct Basic credentials with every call would be throttled like a guesser. Here only
/// failures count; a check is refused once the budget is spent, and the concurrent checks that race past the
/// last permit are bounded by the hash slots.
/// </remarks>
public sealed class PasswordAttemptGuard : IDisposable
{
    // Names that are no account share one budget: a guesser cannot make the partitions grow without bound,
    // and cannot spend a real account's budget with misspellings of it.
    private const string UnknownAccount = "\0unknown";

    private readonly AccountDirectory _accounts;
    private readonly TimeProvider _time;
    private readonly TimeSpan _queueTimeout;
    private readonly PartitionedRateLimiter<string> _perAddress;
    private readonly PartitionedRateLimiter<string> _perAccount;
    private readonly ConcurrencyLimiter _hashSlots;
    private readonly PasswordHashThreads _hashThreads;

    public PasswordAttemptGuard(AccountDirectory accounts, IOptions<AuthOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _accounts = accounts ?? throw new ArgumentNullException(nameof(accounts));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        var settings = options.Value;
        _queueTimeout = settings.PasswordCheckQueueTimeout;
        _perAddress = FailureBudget(settings.FailedPasswordsPerAddress, settings.FailedPasswordWindow);
        _perAccount = FailureBudget(settings.FailedPasswordsPerAccount, settings.FailedPasswordWindow);
        _hashSlots = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = settings.MaxConcurrentPasswordChecks,
            QueueLimit = settings.PasswordCheckQueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _hashThreads = new PasswordHashThreads(settings.MaxConcurrentPasswordChecks);
    }

    /// <summary>The account when <paramref name="password"/> is its password, otherwise null.</summary>
    /// <exception cref="PasswordCheckRefusedException">The password was not checked: too many failures (429) or no hash slot in time (503).</exception>
    public async ValueTask<Account?> VerifyAsync(IPAddress? address, string name, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(password);
        var addressKey = AddressKey(address);
        var accountKey = _accounts.TryFind(name, out var known) ? known.Name.ToUpperInvariant() : UnknownAccount;
        ThrowIfSpent(_perAddress, addressKey, "too many wrong passwords from this address");
        ThrowIfSpent(_perAccount, accountKey, "too many wrong passwords for this account");

        using var slot = await AcquireHashSlotAsync(cancellationToken);
        var account = await _hashThreads.RunAsync(() => _accounts.Verify(name, password));
        if (account is null)
        {
            _perAddress.AttemptAcquire(addressKey).Dispose();
            _perAccount.AttemptAcquire(accountKey).Dispose();
        }

        return account;
    }

    public void Dispose()
    {
        _perAddress.Dispose();
        _perAccount.Dispose();
        _hashSlots.Dispose();
        _hashThreads.Dispose();
    }

    private static PartitionedRateLimiter<string> FailureBudget(int failures, TimeSpan window)
    {
        var limits = new FixedWindowRateLimiterOptions { PermitLimit = failures, Window = window, QueueLimit = 0, AutoReplenishment = true };
        return PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => limits));
    }

    // IPv4 clients of a dual-stack socket arrive as ::ffff:a.b.c.d: one client, one key.
    private static string AddressKey(IPAddress? address) =>
        address is null ? "unknown" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    private static void ThrowIfSpent(PartitionedRateLimiter<string> budget, string key, string message)
    {
        // Zero permits asks whether any are left without spending one.
        using var lease = budget.AttemptAcquire(key, 0);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            throw new PasswordCheckRefusedException(StatusCodes.Status429TooManyRequests, retryAfter, message);
        }
    }

    private async ValueTask<RateLimitLease> AcquireHashSlotAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_queueTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        RateLimitLease lease;
        try
        {
            lease = await _hashSlots.AcquireAsync(1, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Busy();
        }

        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw Busy();
        }

        return lease;
    }

    private static PasswordCheckRefusedException Busy() =>
        new(StatusCodes.Status503ServiceUnavailable, TimeSpan.FromSeconds(1), "too many password checks at once; retry shortly or use a token");
}
