using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Bridge.Documents;

/// <summary>
/// Turns what a client sends into a <see cref="Filter"/> or <see cref="DocumentQuery"/>, refusing anything
/// outside the safe subset of the contract (monorail-channels.md, "Filters") with a message that says
/// what and where.
/// </summary>
public static class FilterParser
{
    private const int MaxSortFields = 32;

    private static readonly HashSet<string> ForbiddenOperators = new(StringComparer.Ordinal)
    {
        "$where", "$function", "$expr", "$accumulator", "$jsonSchema",
    };

    private static readonly HashSet<string> FieldOperators = new(StringComparer.Ordinal)
    {
        "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$options", "$not",
    };

    private static readonly string[] EnvelopeKeys = ["where", "limit", "skip", "sort"];

    /// <summary>Parses a plain filter document (no Waterline envelope). Null or empty matches everything.</summary>
    public static Filter ParseFilter(JsonNode? node, FilterLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return ParseFilterAt(node, limits, "");
    }

    /// <summary>
    /// Parses what a client sends as <c>params</c> of <c>query</c>: either a plain filter, or Waterline's
    /// <c>{"where":{...},"limit":n,"skip":n,"sort":{...}|"field DESC"}</c>.
    /// </summary>
    /// <remarks>
    /// The envelope is recognised when any of <c>where</c>, <c>limit</c>, <c>skip</c>, <c>sort</c> is a
    /// top-level key. Without <c>where</c>, the other keys of an envelope are the filter (as Waterline
    /// reads <c>{"name":"x","limit":1}</c>). <c>limit: 0</c> means no limit, as in MongoDB; a larger
    /// limit than <see cref="FilterLimits.MaxLimit"/> is lowered to it.
    /// </remarks>
    public static DocumentQuery ParseQuery(JsonNode? node, FilterLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (node is null)
        {
            return DocumentQuery.All();
        }

        if (node is not JsonObject obj)
        {
            throw Invalid($"query parameters must be a JSON object, not {Describe(node)}", "");
        }

        if (!EnvelopeKeys.Any(obj.ContainsKey))
        {
            return new DocumentQuery(ParseFilterAt(obj, limits, ""), [], 0, null);
        }

        Filter filter;
        var rest = obj.Where(p => !EnvelopeKeys.Contains(p.Key)).ToList();
        if (obj.TryGetPropertyValue("where", out var where))
        {
            if (rest.Count > 0)
            {
                throw Invalid($"unexpected key '{rest[0].Key}' next to 'where'", "");
            }

            if (where is not null and not JsonObject)
            {
                throw Invalid($"'where' must be an object, not {Describe(where)}", "where");
            }

            filter = ParseFilterAt(where, limits, "where");
        }
        else
        {
            var filterObject = new JsonObject();
            foreach (var (key, value) in rest)
            {
                filterObject[key] = value?.DeepClone();
            }

            filter = ParseFilterAt(filterObject, limits, "");
        }

        var limit = ParseCount(obj["limit"], "limit");
        var skip = ParseCount(obj["skip"], "skip") ?? 0;
        var sort = ParseSort(obj["sort"]);
        int? effectiveLimit = limit is null or 0 ? null : Math.Min(limit.Value, limits.MaxLimit);
        return new DocumentQuery(filter, sort, skip, effectiveLimit);
    }

    private static Filter ParseFilterAt(JsonNode? node, FilterLimits limits, string location)
    {
        if (node is null)
        {
            return Filter.Empty;
        }

        if (node is not JsonObject obj)
        {
            throw Invalid($"a filter must be a JSON object, not {Describe(node)}", location);
        }

        var nodes = 0;
        CheckShape(obj, 1, ref nodes, limits, location);
        if (obj.Count == 0)
        {
            return Filter.Empty;
        }

        return new Filter(new Parser(limits).ParseDocument(obj, location), limits.EvaluationBudget);
    }

    /// <summary>Enforces the size bounds before anything recurses over the document.</summary>
    private static void CheckShape(JsonNode? node, int depth, ref int nodes, FilterLimits limits, string location)
    {
        if (++nodes > limits.MaxNodes)
        {
            throw Invalid($"filter has more than {limits.MaxNodes} nodes", location);
        }

        switch (node)
        {
            case JsonObject obj:
                if (depth > limits.MaxDepth)
                {
                    throw Invalid($"filter is nested deeper than {limits.MaxDepth} levels", location);
                }

                foreach (var (key, value) in obj)
                {
                    CheckShape(value, depth + 1, ref nodes, limits, Combine(location, key));
                }

                break;
            case JsonArray array:
                if (depth > limits.MaxDepth)
                {
                    throw Invalid($"filter is nested deeper than {limits.MaxDepth} levels", location);
                }

                for (var i = 0; i < array.Count; i++)
                {
                    CheckShape(array[i], depth + 1, ref nodes, limits, Index(location, i));
                }

                break;
        }
    }

    private static int? ParseCount(JsonNode? node, string name)
    {
        if (node is null)
        {
            return null;
        }

        if (!JsonSemantics.TryGetNumber(node, out var number)
            || number < 0 || number > int.MaxValue || Math.Floor(number) != number)
        {
            throw Invalid($"'{name}' must be a non-negative integer, not {Describe(node)}", name);
        }

        return (int)number;
    }

    private static IReadOnlyList<SortField> ParseSort(JsonNode? node)
    {
        var fields = new List<SortField>();
        switch (node)
        {
            case null:
                break;
            case JsonObject obj:
                foreach (var (path, direction) in obj)
                {
                    var location = Combine("sort", path);
                    CheckPath(path, location);
                    fields.Add(new SortField(path, ParseDirection(direction, location)));
                }

                break;
            case JsonValue when JsonSemantics.AsString(node) is { } text:
                // Waterline's string form: "createdAt DESC", "name ASC, createdAt DESC", "name".
                foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var words = part.Split(' ', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    if (words.Length > 2)
                    {
                        throw Invalid($"sort clause '{part}' must be 'field', 'field ASC' or 'field DESC'", "sort");
                    }

                    var location = Combine("sort", words[0]);
                    CheckPath(words[0], location);
                    var direction = words.Length == 1 ? SortDirection.Ascending : ParseDirectionWord(words[1], location);
                    fields.Add(new SortField(words[0], direction));
                }

                break;
            default:
                throw Invalid($"'sort' must be an object or a string, not {Describe(node)}", "sort");
        }

        if (fields.Count > MaxSortFields)
        {
            throw Invalid($"'sort' has more than {MaxSortFields} fields", "sort");
        }

        return fields;
    }

    private static SortDirection ParseDirection(JsonNode? node, string location)
    {
        if (JsonSemantics.TryGetNumber(node, out var number))
        {
            return number switch
            {
                1 => SortDirection.Ascending,
                -1 => SortDirection.Descending,
                _ => throw Invalid("sort direction must be 1, -1, \"asc\" or \"desc\"", location),
            };
        }

        if (JsonSemantics.AsString(node) is { } word)
        {
            return ParseDirectionWord(word, location);
        }

        throw Invalid($"sort direction must be 1, -1, \"asc\" or \"desc\", not {Describe(node)}", location);
    }

    private static SortDirection ParseDirectionWord(string word, string location)
    {
        if (word.Equals("asc", StringComparison.OrdinalIgnoreCase))
        {
            return SortDirection.Ascending;
        }

        if (word.Equals("desc", StringComparison.OrdinalIgnoreCase))
        {
            return SortDirection.Descending;
        }

        throw Invalid($"sort direction must be 1, -1, \"asc\" or \"desc\", not '{word}'", location);
    }

    private static void CheckPath(string path, string location)
    {
        if (path.Length == 0 || path.Split('.').Any(static s => s.Length == 0 || s[0] == '$'))
        {
            throw Invalid($"'{path}' is not a valid field path", location);
        }
    }

    private static InvalidFilterException Invalid(string message, string location) =>
        new(location.Length == 0 ? message : $"{message} (at '{location}')");

    private static string Combine(string location, string key) => location.Length == 0 ? key : $"{location}.{key}";

    private static string Index(string location, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{location}[{index}]");

    private static string Describe(JsonNode? node) => JsonSemantics.KindOf(node) switch
    {
        JsonKind.Null => "null",
        JsonKind.Number => "a number",
        JsonKind.String => "a string",
        JsonKind.Boolean => "a boolean",
        JsonKind.Array => "an array",
        _ => "an object",
    };

    /// <summary>
    /// One parse: builds the predicate tree, the filter's only form (the embedded store evaluates it, and the
    /// MongoDB store translates it once, in <c>Mongo/MongoFilterTranslation</c>).
    /// </summary>
    private sealed class Parser(FilterLimits limits)
    {
        public FilterNode ParseDocument(JsonObject obj, string location)
        {
            var nodes = new List<FilterNode>(obj.Count);
            foreach (var (key, value) in obj)
            {
                var at = Combine(location, key);
                if (key.StartsWith('$'))
                {
                    nodes.Add(ParseTopLevelOperator(key, value, at));
                }
                else
                {
                    CheckPath(key, at);
                    nodes.Add(new FieldNode(key, ParseFieldValue(value, at)));
                }
            }

            return nodes.Count == 1 ? nodes[0] : new AllOfNode(nodes);
        }

        private FilterNode ParseTopLevelOperator(string op, JsonNode? value, string location)
        {
            switch (op)
            {
                case "$and" or "$or" or "$nor":
                    var children = ParseDocumentList(op, value, location);
                    return op switch
                    {
                        "$and" => new AllOfNode(children),
                        "$or" => new AnyOfNode(children),
                        _ => new NoneOfNode(children),
                    };
                case "$not":
                    // MongoDB only knows $not on a field; at top level it means "not this filter" (the
                    // translation for MongoDB spells it $nor with one element).
                    if (value is not JsonObject inner || inner.Count == 0)
                    {
                        throw Invalid($"'$not' at top level needs a non-empty filter object, not {Describe(value)}", location);
                    }

                    return new NoneOfNode([ParseDocument(inner, location)]);
                default:
                    throw RefuseOperator(op, location, FieldOperators.Contains(op)
                        ? $"operator '{op}' must be applied to a field"
                        : null);
            }
        }

        private List<FilterNode> ParseDocumentList(string op, JsonNode? value, string location)
        {
            if (value is not JsonArray array || array.Count == 0)
            {
                throw Invalid($"'{op}' needs a non-empty array of filters, not {Describe(value)}", location);
            }

            var nodes = new List<FilterNode>(array.Count);
            for (var i = 0; i < array.Count; i++)
            {
                var at = Index(location, i);
                if (array[i] is not JsonObject element)
                {
                    throw Invalid($"expected a filter object, not {Describe(array[i])}", at);
                }

                if (element.Count == 0)
                {
                    nodes.Add(new AllOfNode([]));
                    continue;
                }

                nodes.Add(ParseDocument(element, at));
            }

            return nodes;
        }

        private ValueCondition ParseFieldValue(JsonNode? value, string location)
        {
            if (value is JsonObject obj && obj.Count > 0 && obj.First().Key.StartsWith('$'))
            {
                return ParseOperators(obj, location);
            }

            CheckLiteral(value, location);
            return new EqualsCondition(value?.DeepClone());
        }

        private ValueCondition ParseOperators(JsonObject ops, string location)
        {
            var conditions = new List<ValueCondition>(ops.Count);
            foreach (var (op, operand) in ops)
            {
                var at = Combine(location, op);
                if (!op.StartsWith('$'))
                {
                    throw Invalid($"cannot mix operators and fields in one object ('{op}')", at);
                }

                switch (op)
                {
                    case "$eq":
                        CheckLiteral(operand, at);
                        conditions.Add(new EqualsCondition(operand?.DeepClone()));
                        break;
                    case "$ne":
                        CheckLiteral(operand, at);
                        conditions.Add(new NotCondition(new EqualsCondition(operand?.DeepClone())));
                        break;
                    case "$gt" or "$gte" or "$lt" or "$lte":
                        CheckLiteral(operand, at);
                        conditions.Add(new ComparisonCondition(ComparisonOf(op), operand?.DeepClone()));
                        break;
                    case "$in" or "$nin":
                        var inCondition = ParseIn(op, operand, at);
                        conditions.Add(op == "$in" ? inCondition : new NotCondition(inCondition));
                        break;
                    case "$exists":
                        conditions.Add(new ExistsCondition(ParseExists(operand, at)));
                        break;
                    case "$regex":
                        conditions.Add(new RegexCondition(ParseRegex(operand, ops["$options"], at)));
                        break;
                    case "$options":
                        if (!ops.ContainsKey("$regex"))
                        {
                            throw Invalid("'$options' needs '$regex' next to it", at);
                        }

                        break;
                    case "$not":
                        if (operand is not JsonObject inner || inner.Count == 0 || !inner.First().Key.StartsWith('$'))
                        {
                            throw Invalid(
                                $"'$not' needs an operator object such as {{\"$gt\": 5}} or {{\"$regex\": \"^a\"}}, not {Describe(operand)}", at);
                        }

                        conditions.Add(new NotCondition(ParseOperators(inner, at)));
                        break;
                    default:
                        throw RefuseOperator(op, at, null);
                }
            }

            return conditions.Count == 1 ? conditions[0] : new AllConditions(conditions);
        }

        private static ComparisonOperator ComparisonOf(string op) => op switch
        {
            "$gt" => ComparisonOperator.GreaterThan,
            "$gte" => ComparisonOperator.GreaterThanOrEqual,
            "$lt" => ComparisonOperator.LessThan,
            _ => ComparisonOperator.LessThanOrEqual,
        };

        private static InCondition ParseIn(string op, JsonNode? operand, string location)
        {
            if (operand is not JsonArray values)
            {
                throw Invalid($"'{op}' needs an array, not {Describe(operand)}", location);
            }

            var alternatives = new List<EqualsCondition>(values.Count);
            for (var i = 0; i < values.Count; i++)
            {
                CheckLiteral(values[i], Index(location, i));
                alternatives.Add(new EqualsCondition(values[i]?.DeepClone()));
            }

            return new InCondition(alternatives);
        }

        private static bool ParseExists(JsonNode? operand, string location)
        {
            // MongoDB reads any number or boolean: false and 0 mean "must not exist".
            if (JsonSemantics.TryGetNumber(operand, out var number))
            {
                return number != 0;
            }

            if (JsonSemantics.KindOf(operand) == JsonKind.Boolean)
            {
                return JsonSemantics.AsBoolean(operand);
            }

            throw Invalid($"'$exists' needs a boolean, not {Describe(operand)}", location);
        }

        private Regex ParseRegex(JsonNode? pattern, JsonNode? optionsNode, string location)
        {
            if (JsonSemantics.AsString(pattern) is not { } text)
            {
                throw Invalid($"'$regex' needs a string pattern, not {Describe(pattern)}", location);
            }

            if (text.Length > limits.MaxRegexLength)
            {
                throw Invalid($"'$regex' is longer than {limits.MaxRegexLength} characters", location);
            }

            // Linear-time matching (issue 11, item 4): a backtracking engine let "^(.+)+X$" cost 100 ms per
            // document. The few features it cannot do are refused below rather than matched differently.
            var options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;
            if (optionsNode is not null)
            {
                if (JsonSemantics.AsString(optionsNode) is not { } flags)
                {
                    throw Invalid($"'$options' must be a string, not {Describe(optionsNode)}", location);
                }

                foreach (var flag in flags)
                {
                    options |= flag switch
                    {
                        'i' => RegexOptions.IgnoreCase,
                        'm' => RegexOptions.Multiline,
                        's' => RegexOptions.Singleline,
                        'x' => RegexOptions.IgnorePatternWhitespace,
                        _ => throw Invalid($"'$options' may only contain i, m, s and x, not '{flag}'", location),
                    };
                }
            }

            try
            {
                return new Regex(text, options, limits.RegexMatchTimeout);
            }
            catch (ArgumentException e)
            {
                throw Invalid($"'$regex' is not a valid regular expression: {e.Message}", location);
            }
            catch (NotSupportedException e)
            {
                throw Invalid(
                    "'$regex' needs a feature that cannot be matched in linear time (lookarounds, backreferences, atomic "
                    + $"groups, conditionals and \\G are refused, as are patterns that expand too far): {e.Message}", location);
            }
        }

        /// <summary>
        /// A value compared against must be plain data: a '$' key inside it would be read by MongoDB as
        /// Extended JSON or an operator, so it is refused here rather than interpreted differently by
        /// the two stores.
        /// </summary>
        private static void CheckLiteral(JsonNode? value, string location)
        {
            switch (value)
            {
                case JsonObject obj:
                    foreach (var (key, child) in obj)
                    {
                        var at = Combine(location, key);
                        if (key.StartsWith('$'))
                        {
                            throw ForbiddenOperators.Contains(key)
                                ? RefuseOperator(key, at, null)
                                : Invalid($"field names in values cannot start with '$' ('{key}')", at);
                        }

                        CheckLiteral(child, at);
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        CheckLiteral(array[i], Index(location, i));
                    }

                    break;
            }
        }

        private static InvalidFilterException RefuseOperator(string op, string location, string? message) =>
            Invalid(message ?? (ForbiddenOperators.Contains(op)
                ? $"operator '{op}' is not allowed"
                : $"unknown operator '{op}'"), location);
    }
}
