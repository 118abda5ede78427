namespace Bridge.UnitTests.Broker;

/// <summary>
/// How RabbitMQ's topic exchange routes: binding key, routing key, routed or not. One table, run against every
/// matcher in the repository (the server's <see cref="Bridge.Broker.TopicPattern"/> and topic trie, the .NET
/// client's routing-key pattern), so that they cannot drift apart.
/// </summary>
public static class TopicMatchingCases
{
    // RabbitMQ tutorial 5 (https://www.rabbitmq.com/tutorials/tutorial-five-dotnet): Q1 binds "*.orange.*",
    // Q2 binds "*.*.rabbit" and "lazy.#".
    public static TheoryData<string, string, bool> TutorialFive => new()
    {
        { "*.orange.*", "quick.orange.rabbit", true },
        { "*.*.rabbit", "quick.orange.rabbit", true },
        { "lazy.#", "quick.orange.rabbit", false },
        { "*.orange.*", "lazy.orange.elephant", true },
        { "*.*.rabbit", "lazy.orange.elephant", false },
        { "lazy.#", "lazy.orange.elephant", true },
        { "*.orange.*", "quick.orange.fox", true },
        { "*.*.rabbit", "quick.orange.fox", false },
        { "lazy.#", "quick.orange.fox", false },
        { "*.orange.*", "lazy.brown.fox", false },
        { "*.*.rabbit", "lazy.brown.fox", false },
        { "lazy.#", "lazy.brown.fox", true },
        { "*.orange.*", "lazy.pink.rabbit", false },
        { "*.*.rabbit", "lazy.pink.rabbit", true },
        { "lazy.#", "lazy.pink.rabbit", true },
        { "*.orange.*", "quick.brown.fox", false },
        { "*.*.rabbit", "quick.brown.fox", false },
        { "lazy.#", "quick.brown.fox", false },
        { "*.orange.*", "orange", false },
        { "*.*.rabbit", "orange", false },
        { "lazy.#", "orange", false },
        { "*.orange.*", "quick.orange.new.rabbit", false },
        { "*.*.rabbit", "quick.orange.new.rabbit", false },
        { "lazy.#", "quick.orange.new.rabbit", false },
        { "*.orange.*", "lazy.orange.new.rabbit", false },
        { "*.*.rabbit", "lazy.orange.new.rabbit", false },
        { "lazy.#", "lazy.orange.new.rabbit", true },
        { "*.orange.*", "quick.orange.male.rabbit", false },
        { "*.*.rabbit", "quick.orange.male.rabbit", false },
        { "lazy.#", "quick.orange.male.rabbit", false },
    };

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
}
