using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MongoDB.Bson;

namespace Bridge.Documents.Mongo;

/// <summary>
/// The one translation of a parsed filter (<see cref="Filter"/>'s tree) into the MongoDB query the store sends:
/// <c>id</c> becomes <c>_id</c> (a 24-hex id matching both its ObjectId and its string form), values take their
/// stored form (<see cref="MongoDocumentMapping.ToBson"/>: date strings compare as dates), a regular expression
/// travels as a BSON regular expression.
/// </summary>
public static class MongoFilterTranslation
{
    public static BsonDocument ToQuery(Filter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter.Root is { } root ? Translate(root) : [];
    }

    private static BsonDocument Translate(FilterNode node) => node switch
    {
        FieldNode field => TranslateField(field),
        AllOfNode all => Conjunction(all.Children.Select(Translate)),
        AnyOfNode any => new BsonDocument("$or", new BsonArray(any.Children.Select(Translate))),
        NoneOfNode none => new BsonDocument("$nor", new BsonArray(none.Children.Select(Translate))),
        _ => throw new NotSupportedException($"no MongoDB translation for {node.GetType().Name}"),
    };

    /// <summary>Clauses on distinct keys share one document, as clients write them; otherwise they are <c>$and</c>ed.</summary>
    private static BsonDocument Conjunction(IEnumerable<BsonDocument> clauses)
    {
        var parts = clauses.Where(static c => c.ElementCount > 0).ToList();
        var merged = new BsonDocument();
        foreach (var part in parts)
        {
            foreach (var element in part)
            {
                if (merged.Contains(element.Name))
                {
                    return new BsonDocument("$and", new BsonArray(parts));
                }

                merged.Add(element);
            }
        }

        return merged;
    }

    private static BsonDocument TranslateField(FieldNode field)
    {
        var name = MongoDocumentMapping.FieldName(field.Path);
        var isId = field.Path == "id";
        var conditions = Flatten(field.Condition).Select(c => Condition(c, isId)).ToList();
        if (conditions.Count == 1)
        {
            return new BsonDocument(name, conditions[0]);
        }

        // Several operators on one field share one object unless two are the same operator or one is a literal.
        var merged = new BsonDocument();
        foreach (var condition in conditions)
        {
            if (condition is not BsonDocument { ElementCount: > 0 } operators || !operators.GetElement(0).Name.StartsWith('$')
                || operators.Names.Any(merged.Contains))
            {
                return new BsonDocument("$and", new BsonArray(conditions.Select(c => new BsonDocument(name, c))));
            }

            merged.AddRange(operators);
        }

        return new BsonDocument(name, merged);
    }

    private static IEnumerable<ValueCondition> Flatten(ValueCondition condition) =>
        condition is AllConditions all ? all.Conditions.SelectMany(Flatten) : [condition];

    /// <summary>A literal (equality) or an operator document for one condition.</summary>
    private static BsonValue Condition(ValueCondition condition, bool isId) => condition switch
    {
        EqualsCondition equals => Equality(equals.Expected, isId),
        ComparisonCondition comparison => new BsonDocument(ComparisonName(comparison.Operator), Value(comparison.Bound, isId)),
        InCondition @in => new BsonDocument("$in", Alternatives(@in, isId)),
        ExistsCondition exists => new BsonDocument("$exists", exists.ShouldExist),
        RegexCondition regex => Regex(regex.Regex),
        NotCondition { Inner: EqualsCondition equals } => NotEqual(equals.Expected, isId),
        NotCondition { Inner: InCondition @in } => new BsonDocument("$nin", Alternatives(@in, isId)),
        NotCondition not => new BsonDocument("$not", NotOperand(not.Inner, isId)),
        _ => throw new NotSupportedException($"no MongoDB translation for {condition.GetType().Name}"),
    };

    /// <summary><c>$not</c> takes an operator document or a regular expression, never a literal.</summary>
    private static BsonValue NotOperand(ValueCondition inner, bool isId)
    {
        var parts = Flatten(inner).Select(c => Condition(c, isId)).ToList();
        if (parts is [BsonRegularExpression regex])
        {
            return regex;
        }

        var merged = new BsonDocument();
        foreach (var part in parts)
        {
            merged.AddRange(part is BsonRegularExpression expression
                ? new BsonDocument("$regex", expression)
                : part is BsonDocument { ElementCount: > 0 } operators && operators.GetElement(0).Name.StartsWith('$')
                    ? operators
                    : new BsonDocument("$eq", part));
        }

        return merged;
    }

    private static BsonValue Equality(JsonNode? expected, bool isId) =>
        IdHex(expected, isId) is { } hex ? MongoDocumentMapping.IdCondition(hex) : Value(expected, isId);

    private static BsonDocument NotEqual(JsonNode? expected, bool isId) =>
        IdHex(expected, isId) is { } hex
            ? new BsonDocument("$nin", new BsonArray { ObjectId.Parse(hex), hex })
            : new BsonDocument("$ne", Value(expected, isId));

    private static BsonArray Alternatives(InCondition condition, bool isId)
    {
        var values = new BsonArray();
        foreach (var alternative in condition.Alternatives)
        {
            if (IdHex(alternative.Expected, isId) is { } hex)
            {
                values.Add(ObjectId.Parse(hex));
                values.Add(hex);
            }
            else
            {
                values.Add(Value(alternative.Expected, isId));
            }
        }

        return values;
    }

    /// <summary>Ids are compared as given (no date conversion); everything else in its stored form.</summary>
    private static BsonValue Value(JsonNode? value, bool isId) =>
        isId && value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String
            ? new BsonString(scalar.GetValue<string>())
            : MongoDocumentMapping.ToBson(value);

    private static string? IdHex(JsonNode? value, bool isId) =>
        isId && value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String
            && MongoDocumentMapping.IsObjectIdHex(scalar.GetValue<string>())
            ? scalar.GetValue<string>()
            : null;

    private static BsonRegularExpression Regex(Regex regex)
    {
        var options = new StringBuilder(4);
        var flags = regex.Options;
        if (flags.HasFlag(RegexOptions.IgnoreCase))
        {
            options.Append('i');
        }

        if (flags.HasFlag(RegexOptions.Multiline))
        {
            options.Append('m');
        }

        if (flags.HasFlag(RegexOptions.Singleline))
        {
            options.Append('s');
        }

        if (flags.HasFlag(RegexOptions.IgnorePatternWhitespace))
        {
            options.Append('x');
        }

        return new BsonRegularExpression(regex.ToString(), options.ToString());
    }

    private static string ComparisonName(ComparisonOperator op) => op switch
    {
        ComparisonOperator.GreaterThan => "$gt",
        ComparisonOperator.GreaterThanOrEqual => "$gte",
        ComparisonOperator.LessThan => "$lt",
        _ => "$lte",
    };
}
