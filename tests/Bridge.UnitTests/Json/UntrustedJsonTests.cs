using System.Text;
using Bridge.Json;

namespace Bridge.UnitTests.Json;

public sealed class UntrustedJsonTests
{
    [Theory]
    [InlineData("""{"a":[1,2.5e-3,true,false,null,"\u00e9","\ud83d\ude00"]}""")]
    [InlineData("""  "plain"  """)]
    [InlineData("""{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}""")]
    [InlineData("""[{"x":1},{"x":2}]""")]
    [InlineData("""{"a\"b":1,"a\\b":2,"\u00e9":3,"é\u0301":4}""")]
    public void Acceptable_Json_Parses(string json)
    {
        using var document = UntrustedJson.ParseDocument(Encoding.UTF8.GetBytes(json));
        Assert.NotNull(UntrustedJson.ParseNode(Encoding.UTF8.GetBytes(json)) ?? (object)"null");
    }

    [Fact]
    public void Depth_UpToTheLimit_Parses_OneMore_IsRefused()
    {
        var atLimit = new string('[', UntrustedJson.MaxDepth) + new string(']', UntrustedJson.MaxDepth);
        using (UntrustedJson.ParseDocument(Encoding.UTF8.GetBytes(atLimit)))
        {
        }

        var deeper = "[" + atLimit + "]";
        var refused = Assert.Throws<UntrustedJsonException>(() => UntrustedJson.Validate(Encoding.UTF8.GetBytes(deeper)));
        Assert.Equal(UntrustedJsonProblem.TooDeep, refused.Problem);
        Assert.Equal($"the JSON is nested deeper than {UntrustedJson.MaxDepth} levels (at byte {UntrustedJson.MaxDepth})", refused.Message);
    }

    [Fact]
    public void AHugeDepth_IsRefusedWithoutRecursion()
    {
        var deep = new string('[', 1_000_000) + new string(']', 1_000_000);

        var refused = Assert.Throws<UntrustedJsonException>(() => UntrustedJson.ParseNode(Encoding.UTF8.GetBytes(deep)));

        Assert.Equal(UntrustedJsonProblem.TooDeep, refused.Problem);
    }

    [Fact]
    public void TheDocumentDepth_IsLooserForBrokerPayloads()
    {
        var forty = new string('[', 40) + new string(']', 40);

        Assert.Throws<UntrustedJsonException>(() => UntrustedJson.Validate(Encoding.UTF8.GetBytes(forty)));
        UntrustedJson.Validate(Encoding.UTF8.GetBytes(forty), UntrustedJson.MaxDocumentDepth);
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""", "a", 7)]
    [InlineData("""{"x":{"b":1,"c":2,"b":3}}""", "b", 18)]
    [InlineData("""[{"a":1},{"k":1,"\u006b":2}]""", "k", 16)]
    [InlineData("""{"o":{"a":1},"p":{"a":1},"o":0}""", "o", 25)]
    public void DuplicatePropertyNames_AreRefused_NamingTheFirstRepeat(string json, string name, int position)
    {
        var refused = Assert.Throws<UntrustedJsonException>(() => UntrustedJson.Validate(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(UntrustedJsonProblem.DuplicateProperty, refused.Problem);
        Assert.Equal(position, refused.BytePosition);
        Assert.StartsWith($"the property '{name}' appears twice in one object (at byte {position})", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""["\ud800"]""", "d800")]
    [InlineData("""["a\udfffb"]""", "dfff")]
    [InlineData("""["\ude00\ud83d"]""", "de00")]
    [InlineData("""["\ud83d\ud83d\ude00"]""", "d83d")]
    [InlineData("""["\ud83dx"]""", "d83d")]
    [InlineData("""["\ud83d\n"]""", "d83d")]
    [InlineData("""{"\uDBFF":1}""", "dbff")]
    [InlineData("""["ok \ud83d\ude00 then \uD800"]""", "d800")]
    public void UnpairedSurrogateEscapes_AreRefused(string json, string unit)
    {
        var refused = Assert.Throws<UntrustedJsonException>(() => UntrustedJson.Validate(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(UntrustedJsonProblem.InvalidString, refused.Problem);
        Assert.Contains($"unpaired surrogate escape '\\u{unit}'", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xC0, 0x80 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xE2, 0x82 })]
    public void InvalidUtf8InAString_IsRefused(byte[] bad)
    {
        byte[] json = [.. "[\"a"u8, .. bad, .. "\"]"u8];

        var refused = Assert.Throws<UntrustedJsonException>(() => UntrustedJson.Validate(json));

        Assert.True(refused.Problem is UntrustedJsonProblem.InvalidString or UntrustedJsonProblem.Syntax, refused.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("[1,]")]
    [InlineData("{\"a\":1}x")]
    [InlineData("nul")]
    [InlineData("// comment\n1")]
    public void NotJson_IsASyntaxProblem(string text)
    {
        var refused = Assert.Throws<UntrustedJsonException>(() => UntrustedJson.Validate(Encoding.UTF8.GetBytes(text)));

        Assert.Equal(UntrustedJsonProblem.Syntax, refused.Problem);
    }
}
