using System.Globalization;
using System.Text.Json;

namespace Bridge.Ledger;

/// <summary>
/// Checks a request against five-bells' <c>RpcRequest</c> schema and reports the first problem exactly as ajv 4
/// does (five-bells-ledger sends it back in <c>data.validationErrors</c>): the type, then the first member
/// not in the schema (in JavaScript's key order), then <c>jsonrpc</c>, <c>id</c>, <c>method</c>, <c>params</c> in turn.
/// </summary>
internal static class RpcRequestValidator
{
    private static readonly string[] SchemaProperties = ["jsonrpc", "id", "method", "params"];
    private static readonly string[] AllowedVersions = ["2.0"];

    /// <summary>Null when <paramref name="request"/> is a valid request object.</summary>
    public static ValidationError? Validate(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object)
        {
            return new ValidationError("type", "", "#/type", "type", "object", "should be object");
        }

        if (FirstAdditionalProperty(request) is { } additional)
        {
            return new ValidationError("additionalProperties", "", "#/additionalProperties", "additionalProperty", additional,
                "should NOT have additional properties");
        }

        foreach (var name in SchemaProperties)
        {
            if (!request.TryGetProperty(name, out var value))
            {
                if (name != "params")
                {
                    return new ValidationError("required", "", "#/required", "missingProperty", name, $"should have required property '{name}'");
                }

                continue;
            }

            var problem = name switch
            {
                "jsonrpc" => value.ValueKind == JsonValueKind.String && value.ValueEquals("2.0")
                    ? null
                    : new ValidationError("enum", ".jsonrpc", "#/properties/jsonrpc/enum", "allowedValues", AllowedVersions,
                        "should be equal to one of the allowed values"),
                "id" => value.ValueKind is JsonValueKind.Number or JsonValueKind.String or JsonValueKind.Null ? null : OneOf("id"),
                "method" => value.ValueKind == JsonValueKind.String
                    ? null
                    : new ValidationError("type", ".method", "#/properties/method/type", "type", "string", "should be string"),
                _ => value.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? null : OneOf("params"),
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static ValidationError OneOf(string property) =>
        new("oneOf", "." + property, $"#/properties/{property}/oneOf", null, null, "should match exactly one schema in oneOf");

    // JavaScript enumerates integer-like keys first, ascending, then the others in insertion order.
    private static string? FirstAdditionalProperty(JsonElement request)
    {
        string? firstIndexLike = null;
        uint firstIndex = uint.MaxValue;
        string? firstOther = null;
        foreach (var property in request.EnumerateObject())
        {
            var name = property.Name;
            if (Array.IndexOf(SchemaProperties, name) >= 0)
            {
                continue;
            }

            if (IsArrayIndex(name, out var index))
            {
                if (index < firstIndex)
                {
                    (firstIndex, firstIndexLike) = (index, name);
                }
            }
            else
            {
                firstOther ??= name;
            }
        }

        return firstIndexLike ?? firstOther;
    }

    private static bool IsArrayIndex(string name, out uint index) =>
        uint.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out index)
        && index != uint.MaxValue
        && index.ToString(CultureInfo.InvariantCulture) == name;
}
