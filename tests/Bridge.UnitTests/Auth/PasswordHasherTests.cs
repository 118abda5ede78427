using Bridge.Auth;

namespace Bridge.UnitTests.Auth;

public sealed class PasswordHasherTests
{
    [Theory]
    [InlineData("secret")]
    [InlineData("pässwörd with spaces and ✓")]
    [InlineData("a:colon$and$dollars")]
    public void Create_ThenVerify_WithSamePassword_Succeeds(string password)
    {
        var hash = PasswordHasher.Create(password, PasswordHasher.MinimumIterations);

        Assert.True(PasswordHasher.Verify(password, hash));
    }

    [Fact]
    public void Verify_WithWrongPassword_Fails()
    {
        var hash = PasswordHasher.Create("secret", PasswordHasher.MinimumIterations);

        Assert.False(PasswordHasher.Verify("Secret", hash));
        Assert.False(PasswordHasher.Verify("", hash));
    }

    [Fact]
    public void Hash_UsesDocumentedFormatAndDefaultIterations()
    {
        var text = PasswordHasher.Hash("secret");

        var parts = text.Split('$');
        Assert.Equal(4, parts.Length);
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.Equal("600000", parts[1]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
    }

    [Fact]
    public void Hash_OfSamePasswordTwice_UsesDifferentSalts()
    {
        var first = PasswordHasher.Create("secret", PasswordHasher.MinimumIterations).ToString();
        var second = PasswordHasher.Create("secret", PasswordHasher.MinimumIterations).ToString();

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void TryParse_OfPrintedHash_VerifiesTheSamePassword()
    {
        var text = PasswordHasher.Create("secret", PasswordHasher.MinimumIterations).ToString();

        Assert.True(PasswordHasher.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(text, parsed.ToString());
        Assert.True(PasswordHasher.Verify("secret", parsed));
        Assert.False(PasswordHasher.Verify("other", parsed));
    }

    [Theory]
    [InlineData(null, "is not a password hash of the form")]
    [InlineData("", "is not a password hash of the form")]
    [InlineData("secret", "is not a password hash of the form")]
    [InlineData("bcrypt$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "is not a password hash of the form")]
    [InlineData("pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==", "is not a password hash of the form")]
    [InlineData("pbkdf2-sha256$many$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "iteration count")]
    [InlineData("pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "iteration count")]
    [InlineData("pbkdf2-sha256$-100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "iteration count")]
    [InlineData("pbkdf2-sha256$100000$not base64!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "salt")]
    [InlineData("pbkdf2-sha256$100000$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "salt")]
    [InlineData("pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", "hash")]
    public void TryParse_WithMalformedText_SaysWhatIsWrong(string? text, string expected)
    {
        Assert.False(PasswordHasher.TryParse(text, out var hash, out var error));
        Assert.Null(hash);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithTooFewIterations_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PasswordHasher.Create("secret", 1000));
    }
}
