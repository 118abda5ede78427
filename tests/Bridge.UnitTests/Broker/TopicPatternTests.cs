using Bridge.Broker;

namespace Bridge.UnitTests.Broker;

public class TopicPatternTests
{
    // RabbitMQ tutorial 5 (https://www.rabbitmq.com/tutorials/tutorial-five-dotnet): Q1 binds "*.orange.*",
    // Q2 binds "*.*.rabbit" and "lazy.#".
    [Theory]
    [InlineData("*.orange.*", "quick.orange.rabbit", true)]
    [InlineData("*.*.rabbit", "quick.orange.rabbit", true)]
    [InlineData("lazy.#", "quick.orange.rabbit", false)]
    [InlineData("*.orange.*", "lazy.orange.elephant", true)]
    [InlineData("*.*.rabbit", "lazy.orange.elephant", false)]
    [InlineData("lazy.#", "lazy.orange.elephant", true)]
    [InlineData("*.orange.*", "quick.orange.fox", true)]
    [InlineData("*.*.rabbit", "quick.orange.fox", false)]
    [InlineData("lazy.#", "quick.orange.fox", false)]
    [InlineData("*.orange.*", "lazy.brown.fox", false)]
    [InlineData("*.*.rabbit", "lazy.brown.fox", false)]
    [InlineData("lazy.#", "lazy.brown.fox", true)]
    [InlineData("*.orange.*", "lazy.pink.rabbit", false)]
    [InlineData("*.*.rabbit", "lazy.pink.rabbit", true)]
    [InlineData("lazy.#", "lazy.pink.rabbit", true)]
    [InlineData("*.orange.*", "quick.brown.fox", false)]
    [InlineData("*.*.rabbit", "quick.brown.fox", false)]
    [InlineData("lazy.#", "quick.brown.fox", false)]
    [InlineData("*.orange.*", "orange", false)]
    [InlineData("*.*.rabbit", "orange", false)]
    [InlineData("lazy.#", "orange", false)]
    [InlineData("*.orange.*", "quick.orange.new.rabbit", false)]
    [InlineData("*.*.rabbit", "quick.orange.new.rabbit", false)]
    [InlineData("lazy.#", "quick.orange.new.rabbit", false)]
    [InlineData("*.orange.*", "lazy.orange.new.rabbit", false)]
    [InlineData("*.*.rabbit", "lazy.orange.new.rabbit", false)]
    [InlineData("lazy.#", "lazy.orange.new.rabbit", true)]
    [InlineData("*.orange.*", "quick.orange.male.rabbit", false)]
    [InlineData("*.*.rabbit", "quick.orange.male.rabbit", false)]
    [InlineData("lazy.#", "quick.orange.male.rabbit", false)]
    public void IsMatch_TutorialFiveExamples_MatchAsRabbitMqRoutes(string bindingKey, string routingKey, bool expected) =>
        Assert.Equal(expected, TopicPattern.Compile(bindingKey).IsMatch(routingKey));

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void IsMatch_HashAndEmptyWordEdgeCases_MatchAsRabbitMqRoutes(string bindingKey, string routingKey, bool expected) =>
        Assert.Equal(expected, TopicPattern.Compile(bindingKey).IsMatch(routingKey));

    public static TheoryData<string, string, bool> EdgeCases => new()
    {
        // '#' matches zero or more words, anywhere.
        { "lazy.#", "lazy", true },
        { "a.#.b", "a.b", true },
        { "a.#.b", "a.x.b", true },
        { "a.#.b", "a.x.y.b", true },
        { "a.#.b", "a", false },
        { "a.#.b", "a.b.c", false },
        { "a.#.b", "x.a.b", false },
        { "#.a", "a", true },
        { "#.a", "x.y.a", true },
        { "#.a", "a.x", false },
        { "#.a", "", false },
        { "a.#", "a", true },
        { "a.#", "a.b.c", true },
        { "a.#", "b.a", false },
        { "a.#", "", false },
        { "#.#", "", true },
        { "#.#", "a", true },
        { "#.#", "a.b.c", true },
        { "a.*.#", "a", false },
        { "a.*.#", "a.b", true },
        { "a.*.#", "a.b.c.d", true },
        { "a.*.#", "b.c", false },
        { "#.*", "", false },
        { "#.*", "a.b", true },
        { "*.#", "", false },
        { "*.#", "a", true },
        { "#.b.#.b", "b.b", true },
        { "#.b.#.b", "a.b.c.b.d", false },

        // '#' alone matches everything, the empty key included.
        { "#", "", true },
        { "#", "a", true },
        { "#", "a..b", true },
        { "#", ".", true },

        // Empty words are words; the empty key has none.
        { "a.*.b", "a..b", true },
        { "a..b", "a..b", true },
        { "a..b", "a.b", false },
        { "*.*", ".", true },
        { "*", ".", false },
        { "*", "", false },
        { "*", "a", true },
        { "a.#", "a.", true },
        { "#.b", ".b", true },
        { "", "", true },
        { "", "a", false },

        // Literal keys compare whole keys, case-sensitively.
        { "a.b", "a.b", true },
        { "a.b", "a.B", false },
        { "a.b", "a.bc", false },
    };

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
