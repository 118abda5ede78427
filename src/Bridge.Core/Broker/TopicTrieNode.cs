using System.Collections.Concurrent;

namespace Bridge.Broker;

/// <summary>
/// One word position of a <see cref="TopicTrie{TValue}"/>: the value bound at exactly this key, and the
/// children by next word. <c>*</c> and <c>#</c> children are kept apart from the literal ones, so a routing
/// key's word (which may itself be "*" or "#", literally) is only ever looked up among the literals.
/// </summary>
/// <remarks>
/// Written by one writer at a time (the trie's owner serializes them), read by any number of threads with no
/// lock. Few children live in an array replaced on every change (copy-on-write, at most
/// <see cref="SmallLimit"/> entries copied); many children (the root of N distinct <c>&lt;node&gt;.#</c>
/// watches) move to a <see cref="ConcurrentDictionary{TKey,TValue}"/>, whose reads take no lock, so adding
/// the N-th child costs O(1), not O(N).
/// </remarks>
internal sealed class TopicTrieNode<TValue>
    where TValue : class
{
    internal const int SmallLimit = 8;

    // Either KeyValuePair<string, TopicTrieNode<TValue>>[] (few children) or WideChildren (many).
    private volatile object _literals = Array.Empty<KeyValuePair<string, TopicTrieNode<TValue>>>();
    private volatile TopicTrieNode<TValue>? _star;
    private volatile TopicTrieNode<TValue>? _hash;
    private volatile TValue? _value;
    private int _literalCount;

    public TopicTrieNode(bool isHash) => IsHash = isHash;

    /// <summary>True when the node is reached over a <c>#</c>: it can also consume any further word and stay.</summary>
    public bool IsHash { get; }

    public TValue? Value
    {
        get => _value;
        set => _value = value;
    }

    public TopicTrieNode<TValue>? Star => _star;

    public TopicTrieNode<TValue>? Hash => _hash;

    /// <summary>Nothing bound here and nothing below: the writer may unlink the node.</summary>
    public bool IsEmpty => _value is null && _star is null && _hash is null && _literalCount == 0;

    /// <summary>The literal child for <paramref name="word"/>, looked up without allocating.</summary>
    public TopicTrieNode<TValue>? Literal(ReadOnlySpan<char> word)
    {
        switch (_literals)
        {
            case KeyValuePair<string, TopicTrieNode<TValue>>[] small:
                foreach (var (key, child) in small)
                {
                    if (word.SequenceEqual(key))
                    {
                        return child;
                    }
                }

                return null;
            default:
                return ((WideChildren)_literals).Lookup.TryGetValue(word, out var found) ? found : null;
        }
    }

    /// <summary>The child for binding-key word <paramref name="word"/> (a literal, <c>*</c> or <c>#</c>), created when missing. Writer only.</summary>
    public TopicTrieNode<TValue> GetOrAddChild(string word)
    {
        switch (word)
        {
            case "*":
                return _star ??= new TopicTrieNode<TValue>(isHash: false);
            case "#":
                return _hash ??= new TopicTrieNode<TValue>(isHash: true);
        }

        if (Literal(word) is { } existing)
        {
            return existing;
        }

        var child = new TopicTrieNode<TValue>(isHash: false);
        switch (_literals)
        {
            case KeyValuePair<string, TopicTrieNode<TValue>>[] small when small.Length < SmallLimit:
                _literals = (KeyValuePair<string, TopicTrieNode<TValue>>[])[.. small, new(word, child)];
                break;
            case KeyValuePair<string, TopicTrieNode<TValue>>[] small:
                // Filled before it is published, so readers never see a half-built dictionary.
                var wide = new WideChildren(small);
                wide.Dictionary[word] = child;
                _literals = wide;
                break;
            default:
                ((WideChildren)_literals).Dictionary[word] = child;
                break;
        }

        _literalCount++;
        return child;
    }

    /// <summary>The existing child for binding-key word <paramref name="word"/>, or null. Writer only.</summary>
    public TopicTrieNode<TValue>? ChildFor(string word) => word switch
    {
        "*" => _star,
        "#" => _hash,
        _ => Literal(word),
    };

    /// <summary>Unlinks the child for binding-key word <paramref name="word"/>. Writer only.</summary>
    public void RemoveChild(string word)
    {
        switch (word)
        {
            case "*":
                _star = null;
                return;
            case "#":
                _hash = null;
                return;
        }

        switch (_literals)
        {
            case KeyValuePair<string, TopicTrieNode<TValue>>[] small:
                var kept = Array.FindAll(small, pair => !string.Equals(pair.Key, word, StringComparison.Ordinal));
                if (kept.Length != small.Length)
                {
                    _literals = kept;
                    _literalCount--;
                }

                break;
            default:
                // A wide node stays wide: shrinking back would make a node that oscillates around the limit copy.
                if (((WideChildren)_literals).Dictionary.TryRemove(word, out _))
                {
                    _literalCount--;
                }

                break;
        }
    }

    /// <summary>Every child with the binding-key word that leads to it, for enumeration.</summary>
    public IEnumerable<(string Word, TopicTrieNode<TValue> Child)> Children()
    {
        IEnumerable<KeyValuePair<string, TopicTrieNode<TValue>>> literals = _literals switch
        {
            KeyValuePair<string, TopicTrieNode<TValue>>[] small => small,
            var wide => ((WideChildren)wide).Dictionary,
        };
        foreach (var (word, child) in literals)
        {
            yield return (word, child);
        }

        if (_star is { } star)
        {
            yield return ("*", star);
        }

        if (_hash is { } hash)
        {
            yield return ("#", hash);
        }
    }

    private sealed class WideChildren
    {
        public WideChildren(IEnumerable<KeyValuePair<string, TopicTrieNode<TValue>>> initial)
        {
            Dictionary = new ConcurrentDictionary<string, TopicTrieNode<TValue>>(initial, StringComparer.Ordinal);
            Lookup = Dictionary.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public ConcurrentDictionary<string, TopicTrieNode<TValue>> Dictionary { get; }

        public ConcurrentDictionary<string, TopicTrieNode<TValue>>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; }
    }
}
