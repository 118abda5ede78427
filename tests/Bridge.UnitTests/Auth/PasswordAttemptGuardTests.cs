using System.Net;
using Bridge.Auth;

namespace Bridge.UnitTests.Auth;

public sealed class PasswordAttemptGuardTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Owner = IPAddress.Parse("192.0.2.2");

    private readonly AccountDirectory _accounts = AuthFakes.Directory([AuthFakes.Entry("alice", "secret"), AuthFakes.Entry("bob", "bobpw")]);

    private PasswordAttemptGuard Guard(int perAddress = 3, int perAccount = 100) => AuthFakes.Guard(_accounts, new AuthOptions
    {
        FailedPasswordsPerAddress = perAddress,
        FailedPasswordsPerAccount = perAccount,
        FailedPasswordWindow = TimeSpan.FromMinutes(5),
    });

    [Fact]
    public async Task WrongPasswords_PastTheAddressBudget_AreRefusedWith429AndRetryAfter_EvenTheRightOne()
    {
        using var guard = Guard(perAddress: 3);
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(await guard.VerifyAsync(Guesser, "alice", $"guess-{i}", CancellationToken.None));
        }

        var refused = await Assert.ThrowsAsync<PasswordCheckRefusedException>(() => guard.VerifyAsync(Guesser, "alice", "secret", CancellationToken.None).AsTask());

        Assert.Equal(429, refused.StatusCode);
        Assert.InRange(refused.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        // The owner, from another address, is not locked out by one guessing address.
        Assert.NotNull(await guard.VerifyAsync(Owner, "alice", "secret", CancellationToken.None));
    }

    [Fact]
    public async Task IPv4MappedAddresses_CountAsTheirIPv4Address()
    {
        using var guard = Guard(perAddress: 1);
        Assert.Null(await guard.VerifyAsync(Guesser, "alice", "wrong", CancellationToken.None));

        var refused = await Assert.ThrowsAsync<PasswordCheckRefusedException>(
            () => guard.VerifyAsync(Guesser.MapToIPv6(), "alice", "wrong", CancellationToken.None).AsTask());

        Assert.Equal(429, refused.StatusCode);
    }

    [Fact]
    public async Task WrongPasswords_FromManyAddresses_SpendTheAccountBudget_AndOnlyThatAccounts()
    {
        using var guard = Guard(perAddress: 100, perAccount: 4);
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(await guard.VerifyAsync(IPAddress.Parse($"198.51.100.{i + 1}"), "ALICE", "wrong", CancellationToken.None));
        }

        var refused = await Assert.ThrowsAsync<PasswordCheckRefusedException>(() => guard.VerifyAsync(Owner, "alice", "secret", CancellationToken.None).AsTask());

        Assert.Equal(429, refused.StatusCode);
        Assert.NotNull(await guard.VerifyAsync(Owner, "bob", "bobpw", CancellationToken.None));
    }

    [Fact]
    public async Task UnknownNames_ShareOneBudget_AndCannotSpendARealAccounts()
    {
        using var guard = Guard(perAddress: 100, perAccount: 2);
        Assert.Null(await guard.VerifyAsync(Guesser, "nobody-1", "x", CancellationToken.None));
        Assert.Null(await guard.VerifyAsync(Guesser, "nobody-2", "x", CancellationToken.None));

        await Assert.ThrowsAsync<PasswordCheckRefusedException>(() => guard.VerifyAsync(Guesser, "nobody-3", "x", CancellationToken.None).AsTask());
        Assert.NotNull(await guard.VerifyAsync(Guesser, "alice", "secret", CancellationToken.None));
    }

    [Fact]
    public async Task RightPasswords_DoNotCount()
    {
        using var guard = Guard(perAddress: 2);

        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull(await guard.VerifyAsync(Owner, "alice", "secret", CancellationToken.None));
        }
    }

    [Fact]
    public async Task HashSlots_AllTaken_AnswersBusy503_AfterTheQueueTimeout()
    {
        // A costly hash holds the only slot long enough for a second check to find it taken.
        var slowAccounts = AuthFakes.Directory([new AccountEntry { Name = "slow", PasswordHash = PasswordHasher.Create("pw", 3_000_000).ToString() }]);
        using var guard = AuthFakes.Guard(slowAccounts, new AuthOptions
        {
            MaxConcurrentPasswordChecks = 1,
            PasswordCheckQueueLimit = 1,
            PasswordCheckQueueTimeout = TimeSpan.FromMilliseconds(50),
        });
        var holding = Task.Run(() => guard.VerifyAsync(Owner, "slow", "pw", CancellationToken.None).AsTask());
        await Task.Delay(200);
        Assert.False(holding.IsCompleted, "the first hash ended before the second check could find its slot taken");

        var refused = await Assert.ThrowsAsync<PasswordCheckRefusedException>(() => guard.VerifyAsync(Guesser, "slow", "pw", CancellationToken.None).AsTask());

        Assert.Equal(503, refused.StatusCode);
        Assert.NotNull(await holding);
    }
}
