namespace Bridge.Client.Channels;

/// <summary>
/// AMQP topic matching (<c>*</c> = one word, <c>#</c> = zero or more): an <c>mq</c> item carries only its
/// routing key, so this is how the client tells which of several <c>mq</c> watches an item belongs to.
/// It must route as the server's <c>Bridge.Broker.TopicPattern</c> does (RabbitMQ's rules): the unit tests run
/// one table of cases against both (<c>TopicMatchingCases</c>).
/// </summary>
internal static class RoutingKeyPattern
{
    public static bool Matches(string pattern, string routingKey) =>
        Matches(Words(pattern), 0, Words(routingKey), 0);

    // The empty key has no words at all, not one empty word: only "#" or "" match it, never "*" (RabbitMQ).
    private static string[] Words(string key) => key.Length == 0 ? [] : key.Split('.');

    private static bool Matches(string[] pattern, int p, string[] key, int k)
    {
        while (p < pattern.Length)
        {
            if (pattern[p] == "#")
            {
                // '#' swallows any number of words: try every split point.
                for (var skip = k; skip <= key.Length; skip++)
                {
                    if (Matches(pattern, p + 1, key, skip))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (k >= key.Length || (pattern[p] != "*" && pattern[p] != key[k]))
            {
                return false;
            }

            p++;
            k++;
        }

        return k == key.Length;
    }
}
