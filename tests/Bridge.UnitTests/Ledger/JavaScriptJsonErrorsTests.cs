using System.Text.Json;
using Bridge.Ledger;

namespace Bridge.UnitTests.Ledger;

/// <summary>The expected texts are what Node 20's JSON.parse says for the same input.</summary>
public sealed class JavaScriptJsonErrorsTests
{
    [Theory]
    [InlineData("this is not json", "Unexpected token 'h', \"this is not json\" is not valid JSON")]
    [InlineData("", "Unexpected end of JSON input")]
    [InlineData(" ", "Unexpected end of JSON input")]
    [InlineData("{", "Expected property name or '}' in JSON at position 1")]
    [InlineData("{\"a\":1,}", "Expected double-quoted property name in JSON at position 7")]
    [InlineData("[1,2", "Expected ',' or ']' after array element in JSON at position 4")]
    [InlineData("{\"a\":1", "Expected ',' or '}' after property value in JSON at position 6")]
    [InlineData("{\"a\" 1}", "Expected ':' after property name in JSON at position 5")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", "Unexpected token 'a', \"abcdefghij\"... is not valid JSON")]
    [InlineData("abcdefghijklmnopqrst", "Unexpected token 'a', \"abcdefghijklmnopqrst\" is not valid JSON")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"foo\"}x", "Unexpected non-whitespace character after JSON at position 39")]
    [InlineData("\"abc", "Unterminated string in JSON at position 4")]
    [InlineData("{\"a\":\"\u0001\"}", "Bad control character in string literal in JSON at position 6")]
    [InlineData("-", "No number after minus sign in JSON at position 1")]
    [InlineData("1e", "Exponent part is missing a number in JSON at position 2")]
    [InlineData("{\"x\":tru}", "Unexpected token '}', \"{\"x\":tru}\" is not valid JSON")]
    [InlineData("01", "Unexpected number in JSON at position 1")]
    [InlineData("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON")]
    [InlineData("{\"a\":\"\\x\"}", "Bad escaped character in JSON at position 7")]
    [InlineData("1.", "Unterminated fractional number in JSON at position 2")]
    [InlineData("\"\\u12x4\"", "Bad Unicode escape in JSON at position 5")]
    [InlineData("[1,", "Unexpected end of JSON input")]
    [InlineData("nul", "Unexpected end of JSON input")]
    [InlineData("truex", "Unexpected non-whitespace character after JSON at position 4")]
    [InlineData("{,}", "Expected property name or '}' in JSON at position 1")]
    [InlineData("xxxxx?yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "Unexpected token 'x', \"xxxxx?yyyy\"... is not valid JSON")]
    public void Describe_GivesV8sMessage(string text, string expected) => Assert.Equal(expected, JavaScriptJsonErrors.Describe(text));

    [Theory]
    [InlineData("{\"a\":[1,2.5e-3,true,false,null,\"\\u00e9\"]}")]
    [InlineData("\t\n {} \r")]
    public void Describe_ValidJson_IsNull(string text) => Assert.Null(JavaScriptJsonErrors.Describe(text));
}

/// <summary>The expected errors are what ajv 4 (five-bells-shared 25) reports for five-bells' RpcRequest schema.</summary>
public sealed class RpcRequestValidatorTests
{
    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":{},"method":"x"}""", "oneOf", ".id")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":5}""", "type", ".method")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"x","params":null}""", "oneOf", ".params")]
    [InlineData("""{}""", "required", "jsonrpc")]
    [InlineData("""null""", "type", "")]
    [InlineData("""{"jsonrpc":2,"id":true,"method":"m","a":1,"b":2}""", "additionalProperties", "a")]
    [InlineData("""{"jsonrpc":"2.0","b":1,"5":2,"method":"x","id":1}""", "additionalProperties", "5")]
    [InlineData("""{"jsonrpc":"2.0","params":7}""", "required", "id")]
    [InlineData("""{"jsonrpc":"1.0"}""", "enum", ".jsonrpc")]
    [InlineData("""{"result":"processed"}""", "additionalProperties", "result")]
    public void Validate_ReportsAjvsFirstError(string request, string keyword, string where)
    {
        using var document = JsonDocument.Parse(request);
        var error = RpcRequestValidator.Validate(document.RootElement);

        Assert.NotNull(error);
        Assert.Equal(keyword, error.Keyword);
        Assert.True(error.DataPath == where || Equals(error.ParamValue, where), $"{error} does not point at {where}");
    }

    [Fact]
    public void Validate_ValidRequest_IsNull()
    {
        using var document = JsonDocument.Parse("""{"jsonrpc":"2.0","id":1.5,"method":"x","params":[]}""");
        Assert.Null(RpcRequestValidator.Validate(document.RootElement));
    }

    [Theory]
    [InlineData("*", "transfer.create", true)]
    [InlineData("transfer.*", "transfer.update", true)]
    [InlineData("transfer.*", "message.send", false)]
    [InlineData("message.send", "message.send", true)]
    [InlineData("transfer.create", "transfer.update", false)]
    [InlineData("transfer", "transfer.update", false)]
    public void EventTypeMatches_SupportsStarExactAndPrefixWildcards(string eventType, string eventName, bool expected) =>
        Assert.Equal(expected, AccountSubscriptions.EventTypeMatches(eventType, eventName));
}

/// <summary>Issue 11, item 1: the scan is iterative, so no depth of input reaches the call stack.</summary>
public sealed class JavaScriptJsonErrorsDepthTests
{
    [Fact]
    public void AMillionOpenArrays_AreScanned_ToV8sMessage()
    {
        var text = new string('[', 1_000_000);

        Assert.Equal("Unexpected end of JSON input", JavaScriptJsonErrors.Describe(text));
    }

    [Fact]
    public void DeepValidJson_IsAccepted()
    {
        var text = string.Concat(Enumerable.Repeat("{\"a\":[", 200_000)) + "1" + string.Concat(Enumerable.Repeat("]}", 200_000));

        Assert.Null(JavaScriptJsonErrors.Describe(text));
    }

    [Fact]
    public void AnErrorDeepInside_IsPlacedExactly()
    {
        var text = new string('[', 100_000) + "1,}" + new string(']', 100_000);

        Assert.Equal("Unexpected token '}', ...\"[[[[[[[[1,}]]]]]]]]]\"... is not valid JSON", JavaScriptJsonErrors.Describe(text));
    }
}
