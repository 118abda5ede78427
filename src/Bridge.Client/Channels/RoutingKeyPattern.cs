namespace Bridge.Client.Channels;

/// <summary>
/// AMQP topic matching (<c>*</c> = one word, <c>#</c> = zero or more): an <c>mq</c> item carries only its
/// routing key, so this is how the client tells which of several <c>mq</c> watches an item belongs to.
/// </summary>
internal static class RoutingKeyPattern
{
    public static bool Matches(string pattern, string routingKey) =>
        Matches(pattern.Split('.'), 0, routingKey.Split('.'), 0);

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
