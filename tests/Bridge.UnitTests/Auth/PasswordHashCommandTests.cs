using Bridge.Auth;

namespace Bridge.UnitTests.Auth;

public sealed class PasswordHashCommandTests
{
    [Fact]
    public void Run_WithPassword_PrintsAVerifiableHashAndReturnsZero()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = PasswordHashCommand.Run(["s3cret"], output, error);

        Assert.Equal(0, code);
        Assert.Equal("", error.ToString());
        Assert.True(PasswordHasher.TryParse(output.ToString().Trim(), out var hash, out var parseError), parseError);
        Assert.True(PasswordHasher.Verify("s3cret", hash));
    }

    [Fact]
    public void Run_WithDash_ReadsThePasswordFromInput()
    {
        var output = new StringWriter();

        var code = PasswordHashCommand.Run(["-"], new StringReader("from stdin\nignored\n"), output, new StringWriter());

        Assert.Equal(0, code);
        Assert.True(PasswordHasher.TryParse(output.ToString().Trim(), out var hash, out _));
        Assert.True(PasswordHasher.Verify("from stdin", hash));
    }

    [Theory]
    [InlineData(new string[0], "")]
    [InlineData(new[] { "one", "two" }, "")]
    [InlineData(new[] { "-" }, "")]
    [InlineData(new[] { "" }, "")]
    public void Run_WithoutAPassword_PrintsUsageToErrorAndReturnsTwo(string[] args, string input)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = PasswordHashCommand.Run(args, new StringReader(input), output, error);

        Assert.Equal(2, code);
        Assert.Equal("", output.ToString());
        Assert.Contains("usage: Bridge hash-password", error.ToString(), StringComparison.Ordinal);
    }
}
