using Bridge.Auth;
using Bridge.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Auth;

/// <summary>Start-up validation of Bridge:Accounts and Bridge:Auth through the real registration (AddBridgeAuth).</summary>
public sealed class AuthOptionsValidationTests
{
    private static readonly string GoodHash = AuthFakes.Hash("secret");

    private static ServiceProvider Build(Dictionary<string, string?> configuration)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddBridgeAuth();
        return builder.Services.BuildServiceProvider();
    }

    private static string AccountsFailure(Dictionary<string, string?> configuration)
    {
        using var services = Build(configuration);
        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<AccountsOptions>>().Value);
        return exception.Message;
    }

    private static string AuthFailure(Dictionary<string, string?> configuration)
    {
        using var services = Build(configuration);
        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<AuthOptions>>().Value);
        return exception.Message;
    }

    [Fact]
    public void Accounts_WhenValid_BindAllFields()
    {
        using var services = Build(new()
        {
            ["Bridge:Accounts:0:Name"] = "alice",
            ["Bridge:Accounts:0:PasswordHash"] = GoodHash,
            ["Bridge:Accounts:1:Name"] = "Ops-Admin_2",
            ["Bridge:Accounts:1:Password"] = "dev",
            ["Bridge:Accounts:1:IsAdmin"] = "true",
        });

        var accounts = services.GetRequiredService<IOptions<AccountsOptions>>().Value.Accounts;

        Assert.Collection(accounts,
            alice =>
            {
                Assert.Equal(("alice", GoodHash, false, "Bridge:Accounts:0"), (alice.Name, alice.PasswordHash, alice.IsAdmin, alice.ConfigurationPath));
            },
            admin =>
            {
                Assert.Equal(("Ops-Admin_2", "dev", true, "Bridge:Accounts:1"), (admin.Name, admin.Password, admin.IsAdmin, admin.ConfigurationPath));
            });
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("dot.ted")]
    [InlineData("ünïcode")]
    public void Accounts_WithInvalidName_FailNamingTheKey(string name)
    {
        var message = AccountsFailure(new()
        {
            ["Bridge:Accounts:0:Name"] = name,
            ["Bridge:Accounts:0:PasswordHash"] = GoodHash,
        });

        Assert.Contains("Bridge:Accounts:0:Name", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accounts_WithNameLongerThan86_FailNamingTheKey()
    {
        var message = AccountsFailure(new()
        {
            ["Bridge:Accounts:0:Name"] = new string('a', 87),
            ["Bridge:Accounts:0:PasswordHash"] = GoodHash,
        });

        Assert.Contains("Bridge:Accounts:0:Name", message, StringComparison.Ordinal);
        Assert.Contains("^[a-zA-Z0-9_-]{1,86}$", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accounts_WithNamesDifferingOnlyInCase_FailNamingBothKeys()
    {
        var message = AccountsFailure(new()
        {
            ["Bridge:Accounts:0:Name"] = "alice",
            ["Bridge:Accounts:0:PasswordHash"] = GoodHash,
            ["Bridge:Accounts:1:Name"] = "ALICE",
            ["Bridge:Accounts:1:PasswordHash"] = GoodHash,
        });

        Assert.Contains("Bridge:Accounts:1:Name 'ALICE' is already used by Bridge:Accounts:0:Name", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accounts_WithBothPasswordAndHash_FailNamingTheKeys()
    {
        var message = AccountsFailure(new()
        {
            ["Bridge:Accounts:0:Name"] = "alice",
            ["Bridge:Accounts:0:PasswordHash"] = GoodHash,
            ["Bridge:Accounts:0:Password"] = "plain",
        });

        Assert.Contains("set exactly one of Bridge:Accounts:0:Password and Bridge:Accounts:0:PasswordHash", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accounts_WithNeitherPasswordNorHash_FailNamingTheKeys()
    {
        var message = AccountsFailure(new() { ["Bridge:Accounts:0:Name"] = "alice" });

        Assert.Contains("set exactly one of Bridge:Accounts:0:Password and Bridge:Accounts:0:PasswordHash", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accounts_WithUnparsableHash_FailNamingTheKeyAtItsRealIndex()
    {
        // Indices 0 and 2 bind to list items 0 and 1: the message must still say 2.
        var message = AccountsFailure(new()
        {
            ["Bridge:Accounts:0:Name"] = "alice",
            ["Bridge:Accounts:0:PasswordHash"] = GoodHash,
            ["Bridge:Accounts:2:Name"] = "bob",
            ["Bridge:Accounts:2:PasswordHash"] = "pbkdf2-sha256$10$AAAA$AAAA",
        });

        Assert.Contains("Bridge:Accounts:2:PasswordHash has an iteration count", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Bridge:Accounts:1", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auth_Defaults_AreSevenDaysAndNoConfiguredKey()
    {
        using var services = Build([]);

        var options = services.GetRequiredService<IOptions<AuthOptions>>().Value;

        Assert.Equal(TimeSpan.FromDays(7), options.TokenMaxAge);
        Assert.Null(options.SigningKey);
    }

    [Theory]
    [InlineData("not base64 at all")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 31 bytes
    public void Auth_WithBadSigningKey_FailNamingTheKey(string key)
    {
        var message = AuthFailure(new() { ["Bridge:Auth:SigningKey"] = key });

        Assert.Contains("Bridge:Auth:SigningKey must be base64 of at least 32 bytes", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-1.00:00:00")]
    [InlineData("400.00:00:00")]
    public void Auth_WithTokenMaxAgeOutOfRange_FailNamingTheKey(string maxAge)
    {
        var message = AuthFailure(new() { ["Bridge:Auth:TokenMaxAge"] = maxAge });

        Assert.Contains("Bridge:Auth:TokenMaxAge must be between", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:01:01")]
    [InlineData("-00:00:01")]
    public void ClockSkew_OutOfRange_FailsNamingTheKey(string skew)
    {
        var message = AuthFailure(new() { ["Bridge:Auth:ClockSkew"] = skew });

        Assert.Contains("Bridge:Auth:ClockSkew", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClockSkew_Configured_IsBound()
    {
        using var services = Build(new() { ["Bridge:Auth:ClockSkew"] = "00:00:02" });

        Assert.Equal(TimeSpan.FromSeconds(2), services.GetRequiredService<IOptions<AuthOptions>>().Value.ClockSkew);
    }

    [Theory]
    [InlineData("Bridge:Auth:FailedPasswordsPerAddress", "0")]
    [InlineData("Bridge:Auth:FailedPasswordsPerAccount", "0")]
    [InlineData("Bridge:Auth:FailedPasswordWindow", "00:00:00")]
    [InlineData("Bridge:Auth:MaxConcurrentPasswordChecks", "0")]
    [InlineData("Bridge:Auth:PasswordCheckQueueLimit", "-1")]
    [InlineData("Bridge:Auth:PasswordCheckQueueTimeout", "00:00:00")]
    public void PasswordLimits_OutOfRange_FailNamingTheKey(string key, string value)
    {
        var message = AuthFailure(new() { [key] = value });

        Assert.Contains(key, message, StringComparison.Ordinal);
    }
}
