using Bridge.Auth;
using Microsoft.Extensions.Logging;

namespace Bridge.UnitTests.Auth;

public sealed class AccountDirectoryTests
{
    [Fact]
    public void TryFind_IgnoresCase_AndReturnsTheConfiguredSpelling()
    {
        var accounts = AuthFakes.Directory([AuthFakes.Entry("Alice", "secret", isAdmin: true)]);

        Assert.True(accounts.TryFind("aLICE", out var account));
        Assert.Equal("Alice", account.Name);
        Assert.True(account.IsAdmin);
        Assert.False(accounts.TryFind("bob", out _));
    }

    [Fact]
    public void Verify_WithRightPassword_ReturnsTheAccount()
    {
        var accounts = AuthFakes.Directory([AuthFakes.Entry("alice", "secret")]);

        Assert.Equal("alice", accounts.Verify("ALICE", "secret")?.Name);
    }

    [Fact]
    public void Verify_WithWrongPasswordOrUnknownName_ReturnsNull()
    {
        var accounts = AuthFakes.Directory([AuthFakes.Entry("alice", "secret")]);

        Assert.Null(accounts.Verify("alice", "SECRET"));
        Assert.Null(accounts.Verify("bob", "secret"));
    }

    [Fact]
    public void PlainTextPassword_IsUsableAndWarnedAboutWithoutRevealingIt()
    {
        var logger = new ListLogger<AccountDirectory>();

        var accounts = AuthFakes.Directory(
            [new AccountEntry { Name = "dev", Password = "plain-secret" }], logger: logger);

        Assert.NotNull(accounts.Verify("dev", "plain-secret"));
        var warning = Assert.Single(logger.Entries, e => e.EventId.Id == 3000);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("'dev'", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("plain-secret", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedded_WithNoAccounts_GeneratesAnAdminWhosePasswordIsLoggedOnce()
    {
        var logger = new ListLogger<AccountDirectory>();

        var accounts = AuthFakes.Directory([], embedded: true, logger: logger);

        var admin = Assert.Single(accounts.Accounts);
        Assert.Equal(("admin", true), (admin.Name, admin.IsAdmin));
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        const string Marker = "with password ";
        var start = entry.Message.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length;
        var password = entry.Message[start..entry.Message.IndexOf(' ', start)];
        Assert.True(password.Length >= 16, entry.Message);
        Assert.NotNull(accounts.Verify("admin", password));
    }

    [Fact]
    public void Embedded_WithConfiguredAccounts_GeneratesNoAdmin()
    {
        var accounts = AuthFakes.Directory([AuthFakes.Entry("alice", "secret")], embedded: true);

        Assert.False(accounts.TryFind("admin", out _));
    }

    [Fact]
    public void NotEmbedded_WithNoAccounts_HasNoneAndWarns()
    {
        var logger = new ListLogger<AccountDirectory>();

        var accounts = AuthFakes.Directory([], embedded: false, logger: logger);

        Assert.Empty(accounts.Accounts);
        var warning = Assert.Single(logger.Entries);
        Assert.Equal((LogLevel.Warning, 3002), (warning.Level, warning.EventId.Id));
    }

    [Fact]
    public void AccountUri_IsUnderThePublicUrlWithoutADoubleSlash()
    {
        var accounts = AuthFakes.Directory([AuthFakes.Entry("alice", "secret")], publicUrl: "https://ledger.example/");

        Assert.Equal("https://ledger.example", accounts.PublicUrl);
        Assert.Equal("https://ledger.example/accounts/alice", accounts.AccountUri("alice"));
        Assert.True(accounts.TryFindByUri("https://ledger.example/accounts/ALICE", out var account));
        Assert.Equal("alice", account.Name);
        Assert.False(accounts.TryFindByUri("https://other.example/accounts/alice", out _));
        Assert.False(accounts.TryFindByUri("https://ledger.example/accounts/", out _));
    }
}
