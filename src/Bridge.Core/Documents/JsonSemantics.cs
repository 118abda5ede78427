using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bridge.Documents;

/// <summary>Equality, ordering and path resolution of JSON values with MongoDB's semantics.</summary>
public static class JsonSemantics
{
    public static JsonKind KindOf(JsonNode? node) => node switch
    {
        null => JsonKind.Null,
        JsonObject => JsonKind.Object,
        JsonArray => JsonKind.Array,
        _ => node.GetValueKind() switch
        {
            JsonValueKind.Number => JsonKind.Number,
            JsonValueKind.String => JsonKind.String,
            JsonValueKind.True or JsonValueKind.False => JsonKind.Boolean,
            _ => JsonKind.Null,
        },
    };

    /// <summary>
    /// Every value <paramref name="path"/> reaches in <paramref name="node"/>. Like MongoDB, a path step on
    /// an array goes into each object element (and, when numeric, also picks that element), so
    /// <c>obms.service</c> reaches the service of every OBM.
    /// </summary>
    public static void Resolve(JsonNode? node, string[] path, int index, List<PathValue> values)
    {
        if (index == path.Length)
        {
            values.Add(new PathValue(node, true));
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                if (obj.TryGetPropertyValue(path[index], out var child))
                {
                    Resolve(child, path, index + 1, values);
                }
                else
                {
                    values.Add(PathValue.Missing);
                }

                break;
            case JsonArray array:
                var reached = false;
                if (int.TryParse(path[index], NumberStyles.None, CultureInfo.InvariantCulture, out var position)
                    && position < array.Count)
                {
                    Resolve(array[position], path, index + 1, values);
                    reached = true;
                }

                foreach (var element in array)
                {
                    if (element is JsonObject)
                    {
                        Resolve(element, path, index, values);
                        reached = true;
                    }
                }

                if (!reached)
                {
                    values.Add(PathValue.Missing);
                }

                break;
            default:
                values.Add(PathValue.Missing);
                break;
        }
    }

    /// <summary>The first value <paramref name="path"/> reaches, or null when it reaches nothing (used for sorting).</summary>
    public static JsonNode? First(JsonNode? node, string[] path)
    {
        var values = new List<PathValue>(1);
        Resolve(node, path, 0, values);
        foreach (var value in values)
        {
            if (value.Exists)
            {
                return value.Value;
            }
        }

        return null;
    }

    public static bool TryGetNumber(JsonNode? node, out double number)
    {
        number = 0;
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        if (value.TryGetValue<JsonElement>(out var element))
        {
            return element.TryGetDouble(out number);
        }

        // Values built in code hold their CLR type; accept every numeric one.
        if (value.TryGetValue(out double d)) { number = d; return true; }
        if (value.TryGetValue(out long l)) { number = l; return true; }
        if (value.TryGetValue(out int i)) { number = i; return true; }
        if (value.TryGetValue(out decimal m)) { number = (double)m; return true; }
        if (value.TryGetValue(out float f)) { number = f; return true; }
        if (value.TryGetValue(out ulong ul)) { number = ul; return true; }
        if (value.TryGetValue(out uint ui)) { number = ui; return true; }
        if (value.TryGetValue(out short s)) { number = s; return true; }
        if (value.TryGetValue(out byte b)) { number = b; return true; }
        return double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }

    public static string? AsString(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static bool AsBoolean(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.True;

    /// <summary>Deep equality: numbers by value across int/double, strings ordinal, objects field by field in order (as BSON).</summary>
    public static bool DeepEquals(JsonNode? left, JsonNode? right)
    {
        var kind = KindOf(left);
        if (kind != KindOf(right))
        {
            return false;
        }

        switch (kind)
        {
            case JsonKind.Null:
                return true;
            case JsonKind.Number:
                return TryGetNumber(left, out var l) && TryGetNumber(right, out var r) && l.Equals(r);
            case JsonKind.String:
                return string.Equals(AsString(left), AsString(right), StringComparison.Ordinal);
            case JsonKind.Boolean:
                return AsBoolean(left) == AsBoolean(right);
            case JsonKind.Array:
                var leftArray = (JsonArray)left!;
                var rightArray = (JsonArray)right!;
                if (leftArray.Count != rightArray.Count)
                {
                    return false;
                }

                for (var i = 0; i < leftArray.Count; i++)
                {
                    if (!DeepEquals(leftArray[i], rightArray[i]))
                    {
                        return false;
                    }
                }

                return true;
            default:
                var leftObject = (JsonObject)left!;
                var rightObject = (JsonObject)right!;
                if (leftObject.Count != rightObject.Count)
                {
                    return false;
                }

                using (var rightFields = rightObject.GetEnumerator())
                {
                    foreach (var (name, value) in leftObject)
                    {
                        rightFields.MoveNext();
                        if (!string.Equals(name, rightFields.Current.Key, StringComparison.Ordinal)
                            || !DeepEquals(value, rightFields.Current.Value))
                        {
                            return false;
                        }
                    }
                }

                return true;
        }
    }

    /// <summary>
    /// Compares two values of the same comparable kind (numbers, strings, booleans); null when they are
    /// not comparable, which makes range operators false as in MongoDB's type bracketing.
    /// </summary>
    public static int? CompareComparable(JsonNode? left, JsonNode? right)
    {
        var kind = KindOf(left);
        if (kind != KindOf(right))
        {
            return null;
        }

        return kind switch
        {
            JsonKind.Number when TryGetNumber(left, out var l) && TryGetNumber(right, out var r) => l.CompareTo(r),
            JsonKind.String => string.CompareOrdinal(AsString(left), AsString(right)),
            JsonKind.Boolean => AsBoolean(left).CompareTo(AsBoolean(right)),
            JsonKind.Null => 0,
            _ => null,
        };
    }

    /// <summary>A total order for sorting: kinds in MongoDB's order, then values; missing sorts as null.</summary>
    public static int CompareForSort(JsonNode? left, JsonNode? right)
    {
        var leftKind = KindOf(left);
        var rightKind = KindOf(right);
        if (leftKind != rightKind)
        {
            return leftKind.CompareTo(rightKind);
        }

        return CompareComparable(left, right)
            ?? string.CompareOrdinal(left?.ToJsonString(), right?.ToJsonString());
    }
}
