namespace Bridge.Broker;

/// <summary>
/// Binding keys of one topic exchange in a trie of words, as RabbitMQ routes a topic exchange, so that routing a
/// key costs what the key and the bindings it can reach cost, not the number of bindings (issue 17). The
/// semantics are <see cref="TopicPattern"/>'s exactly (and its tests cross-check them): <c>*</c> is one word,
/// <c>#</c> zero or more, empty words are words, the empty key has none.
/// </summary>
/// <remarks>
/// One writer at a time (the owner serializes <see cref="GetOrAdd"/> and <see cref="Remove"/>); <see cref="Match"/>
/// runs on any thread with no lock and sees each node either before or after a concurrent change.
/// Matching simulates the trie as an NFA, one routing-key word at a time, over the set of nodes reached so far
/// (deduplicated): linear in words × reachable nodes, so no arrangement of <c>#</c> can make it backtrack.
/// </remarks>
internal sealed class TopicTrie<TValue>
    where TValue : class
{
    [ThreadStatic]
    private static MatchScratch? _threadScratch;

    private readonly TopicTrieNode<TValue> _root = new(isHash: false);

    /// <summary>True when no key is bound.</summary>
    public bool IsEmpty => _root.IsEmpty;

    /// <summary>The value bound at exactly <paramref name="bindingKey"/>, or null.</summary>
    public TValue? Find(string bindingKey)
    {
        var node = _root;
        foreach (var word in Words(bindingKey))
        {
            node = node.ChildFor(word);
            if (node is null)
            {
                return null;
            }
        }

        return node.Value;
    }

    /// <summary>The value at <paramref name="bindingKey"/>, bound to <paramref name="create"/>'s result when there is none. Writer only.</summary>
    public TValue GetOrAdd(string bindingKey, Func<TValue> create, out bool added)
    {
        var node = _root;
        foreach (var word in Words(bindingKey))
        {
            node = node.GetOrAddChild(word);
        }

        added = node.Value is null;
        return node.Value ??= create();
    }

    /// <summary>Unbinds <paramref name="bindingKey"/> and unlinks the nodes nothing else needs. Writer only.</summary>
    public bool Remove(string bindingKey)
    {
        var words = Words(bindingKey);
        var path = new TopicTrieNode<TValue>[words.Length + 1];
        path[0] = _root;
        for (var i = 0; i < words.Length; i++)
        {
            path[i + 1] = path[i].ChildFor(words[i])!;
            if (path[i + 1] is null)
            {
                return false;
            }
        }

        var node = path[^1];
        if (node.Value is null)
        {
            return false;
        }

        node.Value = null;
        for (var i = words.Length; i > 0 && path[i].IsEmpty; i--)
        {
            path[i - 1].RemoveChild(words[i - 1]);
        }

        return true;
    }

    /// <summary>Every bound value (for listings; not on the delivery path).</summary>
    public IEnumerable<TValue> Values()
    {
        var pending = new Stack<TopicTrieNode<TValue>>();
        pending.Push(_root);
        while (pending.TryPop(out var node))
        {
            if (node.Value is { } value)
            {
                yield return value;
            }

            foreach (var (_, child) in node.Children())
            {
                pending.Push(child);
            }
        }
    }

    /// <summary>
    /// Adds to <paramref name="matches"/> every value whose binding key routes <paramref name="routingKey"/>,
    /// each once. Allocates nothing once the thread's scratch lists have grown to the trie's fan-out.
    /// </summary>
    public void Match(ReadOnlySpan<char> routingKey, List<TValue> matches)
    {
        // Rented, not borrowed: a re-entrant match on this thread (a handler that publishes) gets its own.
        var scratch = _threadScratch ?? new MatchScratch();
        _threadScratch = null;
        try
        {
            var current = scratch.Current;
            var next = scratch.Next;
            current.Clear();
            scratch.Seen.Clear();
            AddWithEmptyHashes(current, scratch.Seen, _root);

            if (routingKey.Length > 0)
            {
                var rest = routingKey;
                while (current.Count > 0)
                {
                    var dot = rest.IndexOf('.');
                    var word = dot < 0 ? rest : rest[..dot];
                    next.Clear();
                    scratch.Seen.Clear();
                    foreach (var node in current)
                    {
                        if (node.IsHash)
                        {
                            // '#' eats this word and stays where it is.
                            AddWithEmptyHashes(next, scratch.Seen, node);
                        }

                        if (node.Literal(word) is { } literal)
                        {
                            AddWithEmptyHashes(next, scratch.Seen, literal);
                        }

                        if (node.Star is { } star)
                        {
                            AddWithEmptyHashes(next, scratch.Seen, star);
                        }
                    }

                    (current, next) = (next, current);
                    if (dot < 0)
                    {
                        break;
                    }

                    rest = rest[(dot + 1)..];
                }
            }

            foreach (var node in current)
            {
                if (node.Value is { } value)
                {
                    matches.Add(value);
                }
            }

            current.Clear();
            next.Clear();
            scratch.Seen.Clear();
        }
        finally
        {
            _threadScratch = scratch;
        }
    }

    /// <summary>Adds <paramref name="node"/> and, since '#' may eat no word, every '#' child chained below it.</summary>
    private static void AddWithEmptyHashes(List<TopicTrieNode<TValue>> states, HashSet<TopicTrieNode<TValue>> seen, TopicTrieNode<TValue> node)
    {
        for (var at = node; at is not null && seen.Add(at); at = at.Hash)
        {
            states.Add(at);
        }
    }

    /// <summary>A binding key's words: the empty key has none, otherwise every '.' separates two (possibly empty) words.</summary>
    private static string[] Words(string bindingKey) => bindingKey.Length == 0 ? [] : bindingKey.Split('.');

    private sealed class MatchScratch
    {
        public List<TopicTrieNode<TValue>> Current { get; } = [];

        public List<TopicTrieNode<TValue>> Next { get; } = [];

        public HashSet<TopicTrieNode<TValue>> Seen { get; } = new(ReferenceEqualityComparer.Instance);
    }
}
