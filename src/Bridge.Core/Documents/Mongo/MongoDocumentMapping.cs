using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Bridge.Kernel;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Bridge.Documents.Mongo;

/// <summary>
/// Documents between the JSON clients see (identity <c>id</c>, dates as ISO-8601 strings) and BSON as MongoDB
/// stores it (identity <c>_id</c>, ObjectIds, BSON dates), both ways, with no text format in between.
/// </summary>
/// <remarks>
/// Rules: a 24-hex id is stored as an ObjectId <c>_id</c>, any other id as a string <c>_id</c>; a string in exactly
/// the form <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> is stored as a BSON date (so TTL indexes work) and read back in that
/// form, so round trips are exact. Integers become Int32 when they fit, else Int64; other numbers doubles. Read
/// back, Decimal128 becomes a JSON number with all its digits, ObjectIds 24 hex digits, binary data base64 (a UUID
/// subtype its canonical text), so every value a RackHD database holds reaches the client as plain JSON.
/// </remarks>
public static partial class MongoDocumentMapping
{

    /// <summary>The document as stored: <c>_id</c> first (from <paramref name="id"/>), every other field converted.</summary>
    public static BsonDocument ToStored(JsonObject document, string id)
    {
        ArgumentNullException.ThrowIfNull(document);
        var stored = new BsonDocument("_id", IdValue(id));
        foreach (var (name, value) in document)
        {
            if (name is "id" or "_id")
            {
                continue;
            }

            stored[name] = ToBson(value);
        }

        return stored;
    }

    /// <summary>A stored document as clients see it: <c>id</c> first, ObjectIds and dates as strings.</summary>
    public static JsonObject FromStored(BsonDocument stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var document = new JsonObject();
        if (stored.TryGetValue("_id", out var id))
        {
            document["id"] = ToJson(id);
        }

        foreach (var element in stored)
        {
            if (element.Name != "_id")
            {
                document[element.Name] = ToJson(element.Value);
            }
        }

        return document;
    }

    /// <summary>The stored form of an id: an ObjectId for 24 hex digits, else the string itself.</summary>
    public static BsonValue IdValue(string id) => IsObjectIdHex(id) ? ObjectId.Parse(id) : new BsonString(id);

    /// <summary>
    /// The selector of the document with this id, whichever form its <c>_id</c> has: RackHD's databases hold both
    /// ObjectId and string ids, so a 24-hex id matches either.
    /// </summary>
    public static BsonDocument IdSelector(string id) => new("_id", IdCondition(id));

    /// <summary>The condition an <c>_id</c> equal to <paramref name="id"/> (in either stored form) meets.</summary>
    public static BsonValue IdCondition(string id) =>
        IsObjectIdHex(id) ? new BsonDocument("$in", new BsonArray { ObjectId.Parse(id), id }) : new BsonString(id);

    public static BsonDocument ToSort(IReadOnlyList<SortField> sort)
    {
        ArgumentNullException.ThrowIfNull(sort);
        var result = new BsonDocument();
        foreach (var field in sort)
        {
            result[FieldName(field.Path)] = field.Direction == SortDirection.Descending ? -1 : 1;
        }

        return result;
    }

    public static string FieldName(string path) => path == "id" ? "_id" : path.StartsWith("id.", StringComparison.Ordinal) ? "_id" + path[2..] : path;

    public static bool IsObjectIdHex(string value) => ObjectIdHex().IsMatch(value);

    /// <summary>A client's JSON value as BSON: date strings become dates, integers Int32/Int64, other numbers doubles.</summary>
    public static BsonValue ToBson(JsonNode? value)
    {
        switch (value)
        {
            case null:
                return BsonNull.Value;
            case JsonObject obj:
                var document = new BsonDocument();
                foreach (var (name, child) in obj)
                {
                    document[name] = ToBson(child);
                }

                return document;
            case JsonArray array:
                var list = new BsonArray(array.Count);
                foreach (var element in array)
                {
                    list.Add(ToBson(element));
                }

                return list;
            default:
                return ScalarToBson(value.AsValue());
        }
    }

    /// <summary>A stored BSON value as the JSON clients see.</summary>
    public static JsonNode? ToJson(BsonValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (value.BsonType)
        {
            case BsonType.Document:
                var obj = new JsonObject();
                foreach (var element in value.AsBsonDocument)
                {
                    obj[element.Name] = ToJson(element.Value);
                }

                return obj;
            case BsonType.Array:
                var array = new JsonArray();
                foreach (var element in value.AsBsonArray)
                {
                    array.Add(ToJson(element));
                }

                return array;
            case BsonType.Null or BsonType.Undefined:
                return null;
            case BsonType.String:
                return JsonValue.Create(value.AsString);
            case BsonType.Boolean:
                return JsonValue.Create(value.AsBoolean);
            case BsonType.Int32:
                return JsonValue.Create(value.AsInt32);
            case BsonType.Int64:
                return JsonValue.Create(value.AsInt64);
            case BsonType.Double:
                var number = value.AsDouble;
                // JSON has no NaN or infinities: their names are the honest rendering.
                return double.IsFinite(number) ? JsonValue.Create(number) : JsonValue.Create(number.ToString(CultureInfo.InvariantCulture));
            case BsonType.Decimal128:
                return DecimalToJson(value.AsDecimal128);
            case BsonType.ObjectId:
                return JsonValue.Create(value.AsObjectId.ToString());
            case BsonType.DateTime:
                return DateToJson(value.AsBsonDateTime);
            case BsonType.Binary:
                return BinaryToJson(value.AsBsonBinaryData);
            case BsonType.Timestamp:
                return JsonValue.Create(value.AsBsonTimestamp.Value);
            case BsonType.RegularExpression:
                var regex = value.AsBsonRegularExpression;
                return JsonValue.Create($"/{regex.Pattern}/{regex.Options}");
            default:
                // Symbols, JavaScript, MinKey/MaxKey: nothing the bridge's clients write; shown as their text.
                return JsonValue.Create(value.ToString());
        }
    }

    private static BsonValue ScalarToBson(JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                var text = value.GetValue<string>();
                return TryParseDate(text, out var date) ? new BsonDateTime(date) : new BsonString(text);
            case JsonValueKind.True:
                return BsonBoolean.True;
            case JsonValueKind.False:
                return BsonBoolean.False;
            case JsonValueKind.Number:
                if (value.TryGetValue<int>(out var int32))
                {
                    return new BsonInt32(int32);
                }

                if (value.TryGetValue<long>(out var int64))
                {
                    return new BsonInt64(int64);
                }

                if (value.TryGetValue<double>(out var number))
                {
                    return new BsonDouble(number);
                }

                // A JsonValue made from a JsonElement: read its number text.
                var raw = value.ToJsonString();
                return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int64)
                    ? int64 is >= int.MinValue and <= int.MaxValue ? new BsonInt32((int)int64) : new BsonInt64(int64)
                    : new BsonDouble(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture));
            default:
                return BsonNull.Value;
        }
    }

    private static JsonNode DecimalToJson(Decimal128 value)
    {
        if (Decimal128.IsNaN(value) || Decimal128.IsInfinity(value))
        {
            return JsonValue.Create(value.ToString());
        }

        // Decimal128 has 34 digits, more than System.Decimal: its own text is a valid JSON number, all digits kept.
        return JsonNode.Parse(value.ToString().Replace("E+", "E", StringComparison.Ordinal))!;
    }

    private static JsonNode DateToJson(BsonDateTime date)
    {
        var milliseconds = date.MillisecondsSinceEpoch;
        return milliseconds >= BsonConstants.DateTimeMinValueMillisecondsSinceEpoch && milliseconds <= BsonConstants.DateTimeMaxValueMillisecondsSinceEpoch
            ? JsonValue.Create(IsoTime.Format(date.ToUniversalTime()))
            : JsonValue.Create(milliseconds);
    }

    private static JsonNode BinaryToJson(BsonBinaryData binary) =>
        binary.SubType == BsonBinarySubType.UuidStandard && binary.Bytes.Length == 16
            ? JsonValue.Create(binary.ToGuid(GuidRepresentation.Standard).ToString())
            : JsonValue.Create(Convert.ToBase64String(binary.Bytes));

    private static bool TryParseDate(string text, out DateTime date)
    {
        date = default;
        return IsoDate().IsMatch(text)
            && DateTime.TryParseExact(text, IsoTime.Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out date);
    }

    /// <summary>
    /// The options of a find: sort, skip, limit, and for a filter with an evaluation budget a <c>maxTimeMS</c>,
    /// since on MongoDB the server evaluates the filter (its <c>$regex</c> included) and only it can stop.
    /// </summary>
    public static FindOptions<BsonDocument> ToFindOptions(DocumentQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new FindOptions<BsonDocument>
        {
            Sort = query.Sort.Count > 0 ? ToSort(query.Sort) : null,
            Skip = query.Skip > 0 ? query.Skip : null,
            Limit = query.Limit,
            MaxTime = !query.Filter.IsEmpty && query.Filter.EvaluationBudget is { } budget
                ? TimeSpan.FromMilliseconds(Math.Ceiling(budget.TotalMilliseconds))
                : null,
        };
    }

    [GeneratedRegex("^[0-9a-fA-F]{24}$")]
    private static partial Regex ObjectIdHex();

    [GeneratedRegex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")]
    private static partial Regex IsoDate();
}
