using System.Text;

namespace Bridge.Broker;

/// <summary>
/// A compiled RabbitMQ topic binding key. Semantics are exactly those of RabbitMQ's topic exchange
/// (https://www.rabbitmq.com/tutorials/tutorial-five-dotnet): keys are words separated by '.',
/// <c>*</c> matches exactly one word, <c>#</c> matches zero or more words, empty words are words
/// ("a..b" has three), and the empty key has no words at all (so only <c>#</c> or "" match it).
/// Compile once, then <see cref="IsMatch(ReadOnlySpan{char})"/> runs without allocating.
/// </summary>
public sealed class TopicPattern
{
    /// <summary>RabbitMQ refuses routing and binding keys longer than this (shortstr), in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 255;

    private enum SegmentKind : byte
    {
        Literal,
        Star,
        Hash,
    }

    private readonly record struct Segment(SegmentKind Kind, string Literal);

    private readonly Segment[] _segments;
    private readonly bool _matchesEverything;
    private readonly bool _isLiteral;

    private TopicPattern(string bindingKey, Segment[] segments)
    {
        BindingKey = bindingKey;
        _segments = segments;
        _matchesEverything = segments.Length == 1 && segments[0].Kind == SegmentKind.Hash;
        _isLiteral = Array.TrueForAll(segments, s => s.Kind == SegmentKind.Literal);
    }

    public string BindingKey { get; }

    /// <summary>Compiles <paramref name="bindingKey"/>; throws <see cref="ArgumentException"/> when RabbitMQ would refuse it.</summary>
    public static TopicPattern Compile(string bindingKey)
    {
        Validate(bindingKey, nameof(bindingKey));
        var segments = new List<Segment>();
        if (bindingKey.Length > 0)
        {
            foreach (var word in bindingKey.Split('.'))
            {
                var segment = word switch
                {
                    "*" => new Segment(SegmentKind.Star, string.Empty),
                    "#" => new Segment(SegmentKind.Hash, string.Empty),
                    _ => new Segment(SegmentKind.Literal, word),
                };

                // "#.#" matches what "#" matches: collapsing keeps the state set small.
                if (segment.Kind == SegmentKind.Hash && segments.Count > 0 && segments[^1].Kind == SegmentKind.Hash)
                {
                    continue;
                }

                segments.Add(segment);
            }
        }

        return new TopicPattern(bindingKey, [.. segments]);
    }

    /// <summary>Whether <paramref name="key"/> is a routing or binding key RabbitMQ accepts; <paramref name="error"/> says why not.</summary>
    public static bool IsValidKey(string? key, out string? error)
    {
        if (key is null)
        {
            error = "the key is missing";
            return false;
        }

        // The UTF-8 length is at most 3 bytes per UTF-16 char: skip the count for short keys.
        if (key.Length * 3 > MaxKeyBytes && Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            error = $"the key is longer than {MaxKeyBytes} bytes in UTF-8";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="paramName"/> when <paramref name="key"/> is not valid.</summary>
    public static void Validate(string? key, string paramName)
    {
        if (!IsValidKey(key, out var error))
        {
            throw new ArgumentException($"Invalid routing/binding key: {error}.", paramName);
        }
    }

    /// <summary>Whether a message published with <paramref name="routingKey"/> is routed by this binding key.</summary>
    public bool IsMatch(string routingKey) => IsMatch(routingKey.AsSpan());

    /// <inheritdoc cref="IsMatch(string)"/>
    public bool IsMatch(ReadOnlySpan<char> routingKey)
    {
        if (_matchesEverything)
        {
            return true;
        }

        if (_isLiteral)
        {
            return routingKey.SequenceEqual(BindingKey);
        }

        // A simulation of the pattern's NFA, one routing-key word at a time. State i means "the first i
        // segments are matched"; '#' both stays (eats a word) and lets the next state through (eats none).
        // Linear in words × segments, no backtracking blow-up, no allocation (keys are ≤ 255 bytes).
        var stateCount = _segments.Length + 1;
        Span<bool> current = stackalloc bool[stateCount];
        Span<bool> next = stackalloc bool[stateCount];
        current[0] = true;
        AddEmptyMatches(current);

        if (routingKey.Length > 0)
        {
            var rest = routingKey;
            while (true)
            {
                var dot = rest.IndexOf('.');
                var word = dot < 0 ? rest : rest[..dot];
                next.Clear();
                var any = false;
                for (var i = 0; i < _segments.Length; i++)
                {
                    if (!current[i])
                    {
                        continue;
                    }

                    var segment = _segments[i];
                    switch (segment.Kind)
                    {
                        case SegmentKind.Hash:
                            next[i] = true;
                            any = true;
                            break;
                        case SegmentKind.Star:
                            next[i + 1] = true;
                            any = true;
                            break;
                        default:
                            if (word.SequenceEqual(segment.Literal))
                            {
                                next[i + 1] = true;
                                any = true;
                            }

                            break;
                    }
                }

                if (!any)
                {
                    return false;
                }

                AddEmptyMatches(next);
                var swap = current;
                current = next;
                next = swap;

                if (dot < 0)
                {
                    break;
                }

                rest = rest[(dot + 1)..];
            }
        }

        return current[_segments.Length];
    }

    private void AddEmptyMatches(Span<bool> states)
    {
        for (var i = 0; i < _segments.Length; i++)
        {
            if (states[i] && _segments[i].Kind == SegmentKind.Hash)
            {
                states[i + 1] = true;
            }
        }
    }

    public override string ToString() => BindingKey;
}
