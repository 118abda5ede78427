using System.Text;
using System.Text.Json.Nodes;

namespace Bridge.IntegrationTests.Fuzz;

/// <summary>
/// Generates hostile variants of valid JSON messages, deterministically from a seed: byte mutations, wrong
/// types in every field, deep nesting, huge numbers, unpaired surrogates, duplicate keys and invalid UTF-8.
/// Every message stays under <c>maxBytes</c>, so that what is tested is the parser and not the frame limit.
/// </summary>
public sealed class HostileMessages(int seed, IReadOnlyList<string> templates, int maxBytes)
{
    public const string Valid = "valid";
    public const string Mutation = "mutation";
    public const string WrongType = "wrong-type";
    public const string Deep = "deep";
    public const string HugeNumber = "huge-number";
    public const string Surrogate = "surrogate";
    public const string DuplicateKey = "duplicate-key";
    public const string InvalidUtf8 = "invalid-utf8";

    private const string RawMarker = "\u0001raw\u0001";

    // Raw JSON texts that some part of a front might mis-handle.
    private static readonly string[] HostileValues =
    [
        "null", "true", "false", "0", "-1", "1.5", "-0", "1e400", "-1e400", "1e-400", "123456789012345678901234567890123",
        "9007199254740993", "-9223372036854775809", "18446744073709551616", "0.1e1", "\"\"", "\"x\"", "\"\\ud800\"",
        "\"\\udc00x\"", "\"\\ud800\\ud800\"", "\"a\\ud83d\"", "\"\\u0000\"", "\"a\\\"b\"", "\"\\\\\"", "\"$gt\"", "\"*\"",
        "\"#\"", "\"a.b\"", "\"..\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "{}", "[]", "[[]]", "[1,[2,[3]]]", "{\"a\":{\"b\":{}}}",
        "{\"$where\":\"1\"}", "{\"$regex\":\"(a+)+$\"}", "{\"$gt\":{}}", "[null]", "[\"\\ud800\"]", "{\"\\ud800\":1}",
        "{\"a\":1,\"a\":2}", "[{},{}]", "\"" + new string('x', 3000) + "\"",
    ];

    private static readonly byte[][] InvalidUtf8Sequences =
    [
        [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xFE, 0xFF],
    ];

    private static readonly string[] MutationTokens = ["{", "}", "[", "]", "\"", ",", ":", "\\", "\\ud800", "null", "1e400", "-", "\u0000", " ", "\"a\":1,"];

    private static readonly (string Kind, int Weight)[] Kinds =
    [
        (Valid, 4), (Mutation, 20), (WrongType, 24), (Deep, 10), (HugeNumber, 10), (Surrogate, 12), (DuplicateKey, 12), (InvalidUtf8, 8),
    ];

    private readonly Random _random = new(seed);

    public HostileMessage Next() => Next(PickKind());

    public HostileMessage Next(string kind)
    {
        var template = templates[_random.Next(templates.Count)];
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var bytes = kind switch
            {
                Valid => Encoding.UTF8.GetBytes(template),
                Mutation => Mutate(template),
                WrongType => Replace(template, HostileValues[_random.Next(HostileValues.Length)]),
                Deep => Replace(template, Nesting(template)),
                HugeNumber => Replace(template, HugeNumberText()),
                Surrogate => _random.Next(3) == 0 ? RenameKey(template, "\\ud800" + _random.Next(10)) : Replace(template, SurrogateText()),
                DuplicateKey => Duplicate(template),
                _ => BreakUtf8(template),
            };
            if (bytes is not null && bytes.Length <= maxBytes)
            {
                return new HostileMessage(kind, bytes);
            }
        }

        return new HostileMessage(Valid, Encoding.UTF8.GetBytes(template));
    }

    private string PickKind()
    {
        var total = Kinds.Sum(static k => k.Weight);
        var pick = _random.Next(total);
        foreach (var (kind, weight) in Kinds)
        {
            if ((pick -= weight) < 0)
            {
                return kind;
            }
        }

        return Valid;
    }

    private byte[] Mutate(string template)
    {
        var text = new StringBuilder(template);
        var edits = 1 + _random.Next(4);
        for (var i = 0; i < edits && text.Length > 0; i++)
        {
            var at = _random.Next(text.Length);
            switch (_random.Next(4))
            {
                case 0:
                    text.Remove(at, Math.Min(1 + _random.Next(4), text.Length - at));
                    break;
                case 1:
                    text.Insert(at, MutationTokens[_random.Next(MutationTokens.Length)]);
                    break;
                case 2:
                    text[at] = (char)(' ' + _random.Next(95));
                    break;
                default:
                    text.Length = at;
                    break;
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>The template with one value anywhere in it (or the whole message) replaced by <paramref name="raw"/>.</summary>
    private byte[]? Replace(string template, string raw)
    {
        var root = JsonNode.Parse(template)!;
        var slots = Slots(root);
        var (parent, key, index) = slots[_random.Next(slots.Count)];
        if (parent is null)
        {
            return Encoding.UTF8.GetBytes(raw);
        }

        if (parent is JsonObject obj)
        {
            obj[key!] = RawMarker;
        }
        else
        {
            ((JsonArray)parent)[index] = RawMarker;
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString().Replace(Quoted(RawMarker), raw, StringComparison.Ordinal));
    }

    private byte[]? RenameKey(string template, string escapedName)
    {
        var root = JsonNode.Parse(template)!;
        var objects = Slots(root).Select(static s => s.Parent).OfType<JsonObject>().Where(static o => o.Count > 0).ToList();
        if (objects.Count == 0)
        {
            return null;
        }

        var target = objects[_random.Next(objects.Count)];
        var (name, value) = target.ElementAt(_random.Next(target.Count));
        target.Remove(name);
        target[RawMarker] = value;
        return Encoding.UTF8.GetBytes(root.ToJsonString().Replace(Quoted(RawMarker), "\"" + escapedName + "\"", StringComparison.Ordinal));
    }

    private byte[]? Duplicate(string template)
    {
        var root = JsonNode.Parse(template)!;
        var objects = Slots(root).Select(static s => s.Parent).OfType<JsonObject>().Where(static o => o.Count > 0).Distinct().ToList();
        if (root is JsonObject { Count: > 0 } top)
        {
            objects.Add(top);
        }

        if (objects.Count == 0)
        {
            return null;
        }

        var target = objects[_random.Next(objects.Count)];
        var name = target.ElementAt(_random.Next(target.Count)).Key;
        target[RawMarker] = null;
        var duplicate = $"\"{name}\":{(_random.Next(2) == 0 ? target[name]?.ToJsonString() ?? "null" : HostileValues[_random.Next(HostileValues.Length)])}";
        return Encoding.UTF8.GetBytes(root.ToJsonString().Replace(Quoted(RawMarker) + ":null", duplicate, StringComparison.Ordinal));
    }

    private byte[]? BreakUtf8(string template)
    {
        var text = Encoding.UTF8.GetBytes(template);
        var quotes = Enumerable.Range(0, text.Length).Where(i => text[i] == (byte)'"').ToList();
        if (quotes.Count == 0)
        {
            return null;
        }

        // Just after an opening or closing quote: inside a string, or between tokens.
        var at = quotes[_random.Next(quotes.Count)] + 1;
        var bad = InvalidUtf8Sequences[_random.Next(InvalidUtf8Sequences.Length)];
        return [.. text.AsSpan(0, at), .. bad, .. text.AsSpan(at)];
    }

    private string Nesting(string template)
    {
        int[] depths = [2, 8, 9, 31, 32, 33, 64, 65, 100, 1000, 10_000];
        var budget = (maxBytes - template.Length - 16) / 2;
        var depth = Math.Min(_random.Next(3) == 0 ? 1 + _random.Next(budget) : depths[_random.Next(depths.Length)], budget);
        return _random.Next(3) switch
        {
            0 => new string('[', depth) + new string(']', depth),
            1 => string.Concat(Enumerable.Repeat("{\"a\":", depth / 3)) + "1" + new string('}', depth / 3),
            _ => string.Concat(Enumerable.Repeat("[{\"$and\":", depth / 5)) + "[]" + string.Concat(Enumerable.Repeat("}]", depth / 5)),
        };
    }

    private string HugeNumberText()
    {
        string[] numbers = ["1e400", "-1e400", "1e-400", "1E+309", "-0.0", "123456789012345678901234567890123456789", "0." + new string('0', 500) + "1"];
        return _random.Next(4) == 0
            ? new string('9', 1 + _random.Next(5000))
            : numbers[_random.Next(numbers.Length)];
    }

    private string SurrogateText()
    {
        string[] units = ["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud800\\ud800", "\\udc00\\ud800", "\\ud83d"];
        var unit = units[_random.Next(units.Length)];
        return _random.Next(3) switch
        {
            0 => $"\"{unit}\"",
            1 => $"\"a{unit}b\"",
            _ => $"[\"{unit}\",{{\"k\":\"{unit}\"}}]",
        };
    }

    private static string Quoted(string text) => JsonValue.Create(text).ToJsonString();

    /// <summary>Every place a value sits: (null, null, -1) for the root, then each member and element.</summary>
    private static List<(JsonNode? Parent, string? Key, int Index)> Slots(JsonNode root)
    {
        var slots = new List<(JsonNode?, string?, int)> { (null, null, -1) };
        var pending = new Stack<JsonNode>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            switch (pending.Pop())
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        slots.Add((obj, key, -1));
                        if (value is not null)
                        {
                            pending.Push(value);
                        }
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        slots.Add((array, null, i));
                        if (array[i] is { } element)
                        {
                            pending.Push(element);
                        }
                    }

                    break;
            }
        }

        return slots;
    }
}
