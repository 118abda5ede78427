using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Bridge.Json;

/// <summary>
/// The one way JSON from outside (a client frame, an HTTP body, a broker payload) is parsed. Before anything is
/// built it checks, in one forward pass of <see cref="Utf8JsonReader"/> (iterative: no recursion on the
/// input's depth), that the text is JSON nested at most <see cref="MaxDepth"/> levels (or the caller's limit),
/// that no object names a property twice, and that every string is Unicode text: valid UTF-8 and no escaped
/// surrogate (<c>"\ud800"</c>) without its pair. What passes can be read, compared and written back without
/// any later step throwing (issue 11, items 1 and 2).
/// </summary>
/// <remarks>
/// Duplicate names are checked here rather than with .NET 10's <c>JsonDocumentOptions.AllowDuplicateProperties</c>
/// so that every refusal has the same shape (problem, byte position, a message naming the property) whichever
/// tree (<see cref="JsonDocument"/> or <see cref="JsonNode"/>) the caller wants.
/// </remarks>
public static class UntrustedJson
{
    /// <summary>
    /// Nesting levels of objects and arrays a request may have (<c>{}</c> is one level). Requests of every front
    /// are far flatter (a filter is refused past 8 levels anyway); the limit only has to stop abuse.
    /// </summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// Nesting levels of a broker payload: records that producers publish (RackHD's catalogs, ledger transfers)
    /// are deeper than requests, and still bounded so that nothing walking them can exhaust the stack.
    /// </summary>
    public const int MaxDocumentDepth = 64;

    // A property name or value quoted in a message is cut to this many characters.
    private const int QuotedCharacters = 40;

    /// <summary>Checks <paramref name="utf8"/>, then parses it into a <see cref="JsonDocument"/> (the caller disposes it).</summary>
    /// <exception cref="UntrustedJsonException">The text is refused; the message says why and where.</exception>
    public static JsonDocument ParseDocument(ReadOnlyMemory<byte> utf8, int maxDepth = MaxDepth)
    {
        Validate(utf8.Span, maxDepth);
        return JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = maxDepth });
    }

    /// <summary>Checks <paramref name="utf8"/>, then parses it into a <see cref="JsonNode"/> (null for the literal <c>null</c>).</summary>
    /// <exception cref="UntrustedJsonException">The text is refused; the message says why and where.</exception>
    public static JsonNode? ParseNode(ReadOnlySpan<byte> utf8, int maxDepth = MaxDepth)
    {
        Validate(utf8, maxDepth);
        return JsonNode.Parse(utf8, new JsonNodeOptions { PropertyNameCaseInsensitive = false }, new JsonDocumentOptions { MaxDepth = maxDepth });
    }

    /// <summary>Throws <see cref="UntrustedJsonException"/> unless <paramref name="utf8"/> is one acceptable JSON value.</summary>
    public static void Validate(ReadOnlySpan<byte> utf8, int maxDepth = MaxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);

        // The reader's own depth check is one level looser, so that ours (with its clearer message) fires first.
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        PropertyNames names = default;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (reader.CurrentDepth >= maxDepth)
                        {
                            throw new UntrustedJsonException(UntrustedJsonProblem.TooDeep,
                                $"the JSON is nested deeper than {maxDepth} levels (at byte {reader.TokenStartIndex})", reader.TokenStartIndex);
                        }

                        if (reader.TokenType == JsonTokenType.StartObject)
                        {
                            names.Open();
                        }

                        break;
                    case JsonTokenType.EndObject:
                        names.Close();
                        break;
                    case JsonTokenType.PropertyName:
                        CheckString(ref reader);
                        var name = reader.GetString()!;
                        if (!names.Add(name))
                        {
                            throw new UntrustedJsonException(UntrustedJsonProblem.DuplicateProperty,
                                $"the property '{Quote(name)}' appears twice in one object (at byte {reader.TokenStartIndex}); duplicate property names are refused",
                                reader.TokenStartIndex);
                        }

                        break;
                    case JsonTokenType.String:
                        CheckString(ref reader);
                        break;
                }
            }
        }
        catch (JsonException exception) when (exception is not UntrustedJsonException)
        {
            throw new UntrustedJsonException(UntrustedJsonProblem.Syntax, exception.Message,
                reader.BytesConsumed, exception);
        }
    }

    private static void CheckString(ref Utf8JsonReader reader)
    {
        // The input is one contiguous span, so the value is never a sequence.
        var raw = reader.ValueSpan;
        var start = reader.TokenStartIndex;
        if (!Utf8.IsValid(raw))
        {
            throw new UntrustedJsonException(UntrustedJsonProblem.InvalidString,
                $"the string at byte {start} is not valid UTF-8", start);
        }

        if (reader.ValueIsEscaped && FindUnpairedSurrogate(raw) is { } unpaired)
        {
            throw new UntrustedJsonException(UntrustedJsonProblem.InvalidString,
                $"the string at byte {start} has an unpaired surrogate escape '\\u{unpaired.ToString("x4", CultureInfo.InvariantCulture)}': strings must be Unicode text",
                start);
        }
    }

    /// <summary>The first escaped UTF-16 surrogate in <paramref name="raw"/> (a string's bytes between the quotes) that lacks its pair.</summary>
    internal static int? FindUnpairedSurrogate(ReadOnlySpan<byte> raw)
    {
        var i = 0;
        while (true)
        {
            var backslash = raw[i..].IndexOf((byte)'\\');
            if (backslash < 0)
            {
                return null;
            }

            i += backslash;

            // The reader has already checked the escapes' syntax: "\u" is followed by four hex digits.
            if (raw[i + 1] != (byte)'u')
            {
                i += 2;
                continue;
            }

            var unit = HexUnit(raw.Slice(i + 2, 4));
            i += 6;
            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return unit;
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (i + 6 > raw.Length || raw[i] != (byte)'\\' || raw[i + 1] != (byte)'u'
                    || HexUnit(raw.Slice(i + 2, 4)) is not (>= 0xDC00 and <= 0xDFFF))
                {
                    return unit;
                }

                i += 6;
            }
        }
    }

    private static int HexUnit(ReadOnlySpan<byte> hex) => int.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private static string Quote(string text) => text.Length <= QuotedCharacters ? text : text[..QuotedCharacters] + "…";

    /// <summary>The property names of every open object, one reusable set per nesting level.</summary>
    private struct PropertyNames
    {
        private List<HashSet<string>>? _levels;
        private int _open;

        public void Open()
        {
            _levels ??= [];
            if (_open == _levels.Count)
            {
                _levels.Add(new HashSet<string>(StringComparer.Ordinal));
            }
            else
            {
                _levels[_open].Clear();
            }

            _open++;
        }

        public void Close() => _open--;

        public readonly bool Add(string name) => _levels![_open - 1].Add(name);
    }
}
