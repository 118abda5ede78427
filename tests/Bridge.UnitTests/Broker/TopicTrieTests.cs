using Bridge.Broker;

namespace Bridge.UnitTests.Broker;

/// <summary>
/// The trie must route exactly as <see cref="TopicPattern"/> does (which RabbitMqBrokerTests checks against a real
/// RabbitMQ): every table case of TopicPatternTests, a table of patterns × keys, and random keys and patterns.
/// </summary>
public class TopicTrieTests
{
    private static readonly string[] Patterns =
    [
        "*.orange.*", "*.*.rabbit", "lazy.#", "a.#.b", "#.a", "a.#", "#.#", "a.*.#", "#", "*", "a..b", "a.*.b", "", "#.*", "*.#",
        "#.b.#.b", "a.b", "a", "b", ".", "*.*", "a.", ".a", "#.#.a", "a.#.#", "*.#.*", "#.*.#", "a.#.*.b", "node-1.#", "node-10.#",
    ];

    private static readonly string[] Keys =
    [
        "quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox", "lazy.pink.rabbit", "quick.brown.fox",
        "orange", "quick.orange.new.rabbit", "lazy.orange.new.rabbit", "lazy", "a", "b", "a.b", "a.x.b", "a.x.y.b", "x.a", "a.x", "",
        ".", "..", "a..b", "a.", ".a", "a.b.c", "b.b", "a.b.c.b.d", "a.B", "a.bc", "*", "#", "a.*", "a.#", "node-1", "node-1.log.info",
        "node-10.log", "node-100.log",
    ];

    public static TheoryData<string, string, bool> PatternCases => TopicMatchingCases.EdgeCases;

    [Theory]
    [MemberData(nameof(PatternCases))]
    public void Match_TopicPatternEdgeCases_AgreeWithTopicPattern(string bindingKey, string routingKey, bool expected)
    {
        var trie = new TopicTrie<string>();
        trie.GetOrAdd(bindingKey, () => bindingKey, out _);

        Assert.Equal(expected, Matches(trie, routingKey).Contains(bindingKey));
    }

    [Fact]
    public void Match_AllPatternsAtOnce_ReturnsExactlyThoseTopicPatternMatchesEachOnce()
    {
        var trie = new TopicTrie<string>();
        foreach (var pattern in Patterns)
        {
            trie.GetOrAdd(pattern, () => pattern, out _);
        }

        var mismatches = new List<string>();
        foreach (var key in Keys)
        {
            var expected = Patterns.Where(p => TopicPattern.Compile(p).IsMatch(key)).Order(StringComparer.Ordinal).ToList();
            var actual = Matches(trie, key).Order(StringComparer.Ordinal).ToList();
            if (!expected.SequenceEqual(actual))
            {
                mismatches.Add($"'{key}': expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
            }
        }

        Assert.Empty(mismatches);
    }

    [Fact]
    public void Match_RandomPatternsAndKeys_AgreeWithTopicPattern()
    {
        // Small alphabets so that random patterns and keys actually meet; a fixed seed so a failure reproduces.
        var random = new Random(17);
        string[] patternWords = ["a", "b", "", "*", "#", "*", "#"];
        string[] keyWords = ["a", "b", "", "c", "*", "#"];
        for (var round = 0; round < 200; round++)
        {
            var patterns = Enumerable.Range(0, random.Next(1, 40)).Select(_ => RandomKey(random, patternWords, 5)).Distinct().ToList();
            var trie = new TopicTrie<string>();
            foreach (var pattern in patterns)
            {
                trie.GetOrAdd(pattern, () => pattern, out _);
            }

            // Some removed again, so pruning is cross-checked too.
            foreach (var removed in patterns.Where(_ => random.Next(4) == 0).ToList())
            {
                Assert.True(trie.Remove(removed));
                patterns.Remove(removed);
            }

            for (var k = 0; k < 50; k++)
            {
                var key = RandomKey(random, keyWords, 6);
                var expected = patterns.Where(p => TopicPattern.Compile(p).IsMatch(key)).Order(StringComparer.Ordinal).ToList();
                var actual = Matches(trie, key).Order(StringComparer.Ordinal).ToList();
                Assert.True(expected.SequenceEqual(actual),
                    $"round {round}, key '{key}', patterns [{string.Join(" | ", patterns)}]: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
            }
        }
    }

    [Fact]
    public void Remove_LastKeyOfABranch_PrunesItAndLeavesTheOthers()
    {
        var trie = new TopicTrie<string>();
        trie.GetOrAdd("a.b.c", () => "abc", out var first);
        trie.GetOrAdd("a.#", () => "a#", out _);
        trie.GetOrAdd("a.b.c", () => "other", out var again);

        Assert.True(first);
        Assert.False(again);
        Assert.Equal("abc", trie.Find("a.b.c"));
        Assert.True(trie.Remove("a.b.c"));
        Assert.False(trie.Remove("a.b.c"));
        Assert.False(trie.Remove("a.b"));
        Assert.Null(trie.Find("a.b.c"));
        Assert.Equal(["a#"], Matches(trie, "a.b.c"));
        Assert.True(trie.Remove("a.#"));
        Assert.True(trie.IsEmpty);
    }

    [Fact]
    public void Match_ManyDistinctFirstWords_FindsEachOwnBindingOnly()
    {
        // 5 000 distinct '<node>.#' keys: the root's children go past the small-array limit into the dictionary.
        var trie = new TopicTrie<string>();
        for (var i = 0; i < 5000; i++)
        {
            var key = $"node-{i}.#";
            trie.GetOrAdd(key, () => key, out _);
        }

        for (var i = 0; i < 5000; i += 7)
        {
            Assert.Equal([$"node-{i}.#"], Matches(trie, $"node-{i}.log.info"));
        }

        for (var i = 0; i < 5000; i += 2)
        {
            trie.Remove($"node-{i}.#");
        }

        Assert.Empty(Matches(trie, "node-2.log"));
        Assert.Equal(["node-3.#"], Matches(trie, "node-3"));
        Assert.Equal(2500, trie.Values().Count());
    }

    [Fact]
    public void Match_ManyHashes_StaysLinear()
    {
        // A pattern with many '#' against a long key: backtracking would try C(120, 12) splits; the NFA does not.
        var pattern = string.Join('.', Enumerable.Repeat("#.a", 12));
        var key = string.Join('.', Enumerable.Repeat("a", 120));
        var trie = new TopicTrie<string>();
        trie.GetOrAdd(pattern, () => pattern, out _);

        Assert.Equal([pattern], Matches(trie, key));
        Assert.Empty(Matches(trie, key + ".b"));
    }

    [Fact]
    public void Match_AfterWarmUp_DoesNotAllocate()
    {
        var trie = new TopicTrie<string>();
        foreach (var pattern in Patterns)
        {
            trie.GetOrAdd(pattern, () => pattern, out _);
        }

        var matches = new List<string>(Patterns.Length);
        trie.Match("a.x.b", matches);
        matches.Clear();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            trie.Match("a.x.b", matches);
            matches.Clear();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static List<string> Matches(TopicTrie<string> trie, string routingKey)
    {
        var matches = new List<string>();
        trie.Match(routingKey, matches);
        return matches;
    }

    private static string RandomKey(Random random, string[] words, int maxWords)
    {
        var count = random.Next(0, maxWords + 1);
        return string.Join('.', Enumerable.Range(0, count).Select(_ => words[random.Next(words.Length)]));
    }
}
