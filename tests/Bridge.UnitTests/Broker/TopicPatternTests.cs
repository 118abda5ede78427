using Bridge.Broker;

namespace Bridge.UnitTests.Broker;

public class TopicPatternTests
{
    [Theory]
    [MemberData(nameof(TopicMatchingCases.TutorialFive), MemberType = typeof(TopicMatchingCases))]
    public void IsMatch_TutorialFiveExamples_MatchAsRabbitMqRoutes(string bindingKey, string routingKey, bool expected) =>
        Assert.Equal(expected, TopicPattern.Compile(bindingKey).IsMatch(routingKey));

    [Theory]
    [MemberData(nameof(TopicMatchingCases.EdgeCases), MemberType = typeof(TopicMatchingCases))]
    public void IsMatch_HashAndEmptyWordEdgeCases_MatchAsRabbitMqRoutes(string bindingKey, string routingKey, bool expected) =>
        Assert.Equal(expected, TopicPattern.Compile(bindingKey).IsMatch(routingKey));

    [Fact]
    public void IsValidKey_KeyOver255Utf8Bytes_IsRefused()
    {
        Assert.True(TopicPattern.IsValidKey(new string('a', 255), out _));
        Assert.False(TopicPattern.IsValidKey(new string('a', 256), out var error));
        Assert.Contains("255", error, StringComparison.Ordinal);

        // 128 two-byte characters are 256 bytes although only 128 chars.
        Assert.False(TopicPattern.IsValidKey(new string('é', 128), out _));
        Assert.False(TopicPattern.IsValidKey(null, out _));
    }

    [Fact]
    public void Compile_InvalidKey_ThrowsArgumentExceptionNamingTheParameter()
    {
        var ex = Assert.Throws<ArgumentException>(() => TopicPattern.Compile(new string('x', 300)));
        Assert.Equal("bindingKey", ex.ParamName);
    }

    [Fact]
    public void IsMatch_CompiledPattern_DoesNotAllocate()
    {
        var pattern = TopicPattern.Compile("graph.#.information.*");
        const string Key = "graph.progress.updated.information.1234";
        Assert.True(pattern.IsMatch(Key));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            pattern.IsMatch(Key);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ExchangeName_EmptyOrWithSpaces_IsRefused()
    {
        Assert.True(ExchangeName.IsValid("on.events", out _));
        Assert.False(ExchangeName.IsValid("", out _));
        Assert.False(ExchangeName.IsValid("on events", out _));
    }
}
