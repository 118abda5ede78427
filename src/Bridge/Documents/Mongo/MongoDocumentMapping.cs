using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Bridge.Documents.Mongo;

/// <summary>
/// Documents and filters between the bridge's JSON (identity <c>id</c>, dates as ISO-8601 strings) and MongoDB
/// Extended JSON (identity <c>_id</c>, ObjectIds, BSON dates), both ways.
/// </summary>
/// <remarks>
/// Rules: a 24-hex id is stored as an ObjectId <c>_id</c>, any other id as a string <c>_id</c>; a string in exactly
/// the form <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> is stored as a BSON date (so TTL indexes work) and read back in that
/// form, so round trips are exact. RackHD's databases hold both ObjectId and string ids, so a filter on <c>id</c>
/// with a 24-hex value matches either form (<c>$in</c> of both).
/// </remarks>
public static partial class MongoDocumentMapping
{
    public const string DateFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";

    /// <summary>The document as stored: <c>_id</c> first (from <paramref name="id"/>), every other field converted.</summary>
    public static string ToStored(JsonObject document, string id)
    {
        ArgumentNullException.ThrowIfNull(document);
        var stored = new JsonObject { ["_id"] = IdValue(id) };
        foreach (var (name, value) in document)
        {
            if (name is "id" or "_id")
            {
                continue;
            }

            stored[name] = ToStoredValue(value);
        }

        return stored.ToJsonString();
    }

    /// <summary>A stored document (relaxed Extended JSON) as clients see it: <c>id</c> first, ObjectIds and dates as strings.</summary>
    public static JsonObject FromStored(string json)
    {
        var stored = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("a stored document is not a JSON object");
        var document = new JsonObject();
        if (stored.TryGetPropertyValue("_id", out var id))
        {
            document["id"] = FromStoredValue(id);
        }

        foreach (var (name, value) in stored)
        {
            if (name != "_id")
            {
                document[name] = FromStoredValue(value);
            }
        }

        return document;
    }

    /// <summary>The selector of the document with this id, whichever form its <c>_id</c> has.</summary>
    public static string IdSelector(string id) => new JsonObject { ["_id"] = IdCondition(id) }.ToJsonString();

    /// <summary>A validated filter's MongoDB query with <c>id</c> mapped to <c>_id</c> and values in their stored form.</summary>
    public static string ToQuery(Filter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return TranslateQuery(filter.ToMongoQuery()).ToJsonString();
    }

    public static string ToSort(IReadOnlyList<SortField> sort)
    {
        ArgumentNullException.ThrowIfNull(sort);
        var result = new JsonObject();
        foreach (var field in sort)
        {
            result[FieldName(field.Path)] = field.Direction == SortDirection.Descending ? -1 : 1;
        }

        return result.ToJsonString();
    }

    public static string FieldName(string path) => path == "id" ? "_id" : path.StartsWith("id.", StringComparison.Ordinal) ? "_id" + path[2..] : path;

    public static bool IsObjectIdHex(string value) => ObjectIdHex().IsMatch(value);

    private static JsonNode IdValue(string id) => IsObjectIdHex(id) ? new JsonObject { ["$oid"] = id.ToLowerInvariant() } : JsonValue.Create(id);

    private static JsonNode IdCondition(string id) =>
        IsObjectIdHex(id) ? new JsonObject { ["$in"] = new JsonArray(IdValue(id), JsonValue.Create(id)) } : JsonValue.Create(id);

    private static JsonNode? ToStoredValue(JsonNode? value) => value switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, ToStoredValue(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(ToStoredValue)]),
        JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String && IsDate(scalar.GetValue<string>()) =>
            new JsonObject { ["$date"] = scalar.GetValue<string>() },
        _ => value?.DeepClone(),
    };

    private static JsonNode? FromStoredValue(JsonNode? value)
    {
        switch (value)
        {
            case JsonObject { Count: 1 } wrapper when wrapper.TryGetPropertyValue("$oid", out var oid):
                return oid?.DeepClone();
            case JsonObject { Count: 1 } wrapper when wrapper.TryGetPropertyValue("$date", out var date):
                return JsonValue.Create(FormatDate(date));
            case JsonObject { Count: 1 } wrapper when wrapper.TryGetPropertyValue("$numberLong", out var number)
                && long.TryParse(number?.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed):
                return JsonValue.Create(parsed);
            case JsonObject obj:
                return new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, FromStoredValue(p.Value))));
            case JsonArray array:
                return new JsonArray([.. array.Select(FromStoredValue)]);
            default:
                return value?.DeepClone();
        }
    }

    private static string FormatDate(JsonNode? date)
    {
        DateTimeOffset at = date switch
        {
            JsonValue text when text.GetValueKind() == JsonValueKind.String =>
                DateTimeOffset.Parse(text.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            JsonObject { Count: 1 } ms when ms["$numberLong"] is JsonValue n =>
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(n.GetValue<string>(), CultureInfo.InvariantCulture)),
            _ => throw new FormatException($"unexpected $date value {date?.ToJsonString()}"),
        };
        return at.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);
    }

    private static bool IsDate(string text) =>
        IsoDate().IsMatch(text)
        && DateTime.TryParseExact(text, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out _);

    private static JsonObject TranslateQuery(JsonObject query)
    {
        var clauses = new List<KeyValuePair<string, JsonNode?>>();
        foreach (var (key, value) in query)
        {
            if (key is "$and" or "$or" or "$nor")
            {
                var parts = new JsonArray();
                foreach (var part in value?.AsArray() ?? [])
                {
                    parts.Add(TranslateQuery(part!.AsObject()));
                }

                clauses.Add(KeyValuePair.Create<string, JsonNode?>(key, parts));
                continue;
            }

            var isId = key == "id";
            foreach (var condition in TranslateCondition(value, isId))
            {
                clauses.Add(KeyValuePair.Create(FieldName(key), condition));
            }
        }

        // A field with two conditions that translate to the same operator cannot share one object: $and them.
        return clauses.Select(c => c.Key).Distinct(StringComparer.Ordinal).Count() == clauses.Count
            ? new JsonObject(clauses)
            : new JsonObject { ["$and"] = new JsonArray([.. clauses.Select(c => (JsonNode)new JsonObject { [c.Key] = c.Value })]) };
    }

    /// <summary>One condition per result; several only when operators collide after translation.</summary>
    private static List<JsonNode?> TranslateCondition(JsonNode? condition, bool isId)
    {
        if (condition is not JsonObject ops || !ops.Any(p => p.Key.StartsWith('$')))
        {
            return [TranslateEquality(condition, isId)];
        }

        var translated = new List<KeyValuePair<string, JsonNode?>>();
        var standalone = new List<JsonNode?>();
        foreach (var (op, operand) in ops)
        {
            switch (op)
            {
                case "$eq" when isId && operand is JsonValue v && v.GetValueKind() == JsonValueKind.String && IsObjectIdHex(v.GetValue<string>()):
                    translated.Add(KeyValuePair.Create<string, JsonNode?>("$in", new JsonArray([.. Expand(operand, isId)])));
                    break;
                case "$ne" when isId && operand is JsonValue v && v.GetValueKind() == JsonValueKind.String && IsObjectIdHex(v.GetValue<string>()):
                    translated.Add(KeyValuePair.Create<string, JsonNode?>("$nin", new JsonArray([.. Expand(operand, isId)])));
                    break;
                case "$in" or "$nin":
                    var values = new JsonArray();
                    foreach (var item in operand?.AsArray() ?? [])
                    {
                        foreach (var expanded in Expand(item, isId))
                        {
                            values.Add(expanded);
                        }
                    }

                    translated.Add(KeyValuePair.Create<string, JsonNode?>(op, values));
                    break;
                case "$not":
                    translated.Add(KeyValuePair.Create(op, TranslateCondition(operand, isId)[0]));
                    break;
                case "$regex":
                    // libbson reads a "$regex" key as the legacy regex literal, so the pattern travels as a BSON
                    // regular expression value instead ({field: /p/}, which MongoDB matches as $regex does).
                    var options = ops["$options"] is JsonValue o ? o.GetValue<string>() : "";
                    standalone.Add(new JsonObject
                    {
                        ["$regularExpression"] = new JsonObject { ["pattern"] = operand?.DeepClone(), ["options"] = new string([.. options.Order()]) },
                    });
                    break;
                case "$options":
                    break;
                case "$exists":
                    translated.Add(KeyValuePair.Create(op, operand?.DeepClone()));
                    break;
                default:
                    translated.Add(KeyValuePair.Create(op, isId ? operand?.DeepClone() : ToStoredValue(operand)));
                    break;
            }
        }

        if (translated.Count == 0)
        {
            return standalone;
        }

        if (translated.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count() == translated.Count)
        {
            return [new JsonObject(translated), .. standalone];
        }

        return [.. translated.Select(t => (JsonNode?)new JsonObject { [t.Key] = t.Value }), .. standalone];
    }

    private static JsonNode? TranslateEquality(JsonNode? value, bool isId) =>
        isId && value is JsonValue v && v.GetValueKind() == JsonValueKind.String && IsObjectIdHex(v.GetValue<string>())
            ? IdCondition(v.GetValue<string>())
            : isId ? value?.DeepClone() : ToStoredValue(value);

    /// <summary>A value to compare with: for a 24-hex id both its ObjectId and its string form.</summary>
    private static List<JsonNode?> Expand(JsonNode? value, bool isId)
    {
        if (isId && value is JsonValue v && v.GetValueKind() == JsonValueKind.String && IsObjectIdHex(v.GetValue<string>()))
        {
            return [IdValue(v.GetValue<string>()), JsonValue.Create(v.GetValue<string>())];
        }

        return [isId ? value?.DeepClone() : ToStoredValue(value)];
    }

    /// <summary>MongoDB's MaxTimeMSExpired: a query ran past its <c>maxTimeMS</c>.</summary>
    public const uint MaxTimeExpiredCode = 50;

    /// <summary>
    /// The options of a find: sort, skip, limit, and for a filter with an evaluation budget a <c>maxTimeMS</c>,
    /// since on MongoDB the server evaluates the filter (its <c>$regex</c> included) and only it can stop.
    /// </summary>
    public static string ToFindOptions(DocumentQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var options = new JsonObject();
        if (query.Sort.Count > 0)
        {
            options["sort"] = JsonNode.Parse(ToSort(query.Sort));
        }

        if (query.Skip > 0)
        {
            options["skip"] = query.Skip;
        }

        if (query.Limit is { } limit)
        {
            options["limit"] = limit;
        }

        if (!query.Filter.IsEmpty && query.Filter.EvaluationBudget is { } budget)
        {
            options["maxTimeMS"] = (long)Math.Ceiling(budget.TotalMilliseconds);
        }

        return options.ToJsonString();
    }

    [GeneratedRegex("^[0-9a-fA-F]{24}$")]
    private static partial Regex ObjectIdHex();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")]
    private static partial Regex IsoDate();
}
