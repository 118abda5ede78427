using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace Bridge.Documents;

/// <summary>A validated filter over documents (the safe subset of MongoDB's query language in the contract).</summary>
/// <remarks>Immutable and safe to share between threads. Build one with <see cref="FilterParser"/>.</remarks>
public sealed class Filter
{
    private readonly FilterNode? _root;

    /// <summary>A filter that matches every document (same as <see cref="Empty"/>).</summary>
    public Filter()
    {
    }

    internal Filter(FilterNode root, TimeSpan? evaluationBudget)
    {
        _root = root;
        EvaluationBudget = evaluationBudget;
        // One search for the string equality serves both: the probe for any such filter, the pair when it is all there is.
        if (TryGetStringEquality(out var path, out var value))
        {
            Probe = new StringEqualityProbe(path, value);
            SingleStringEquality = IsSingleStringEquality ? (path, value) : null;
        }
    }

    public static Filter Empty { get; } = new();

    /// <summary>
    /// How long one request (a query, a snapshot) may spend evaluating this filter over a store's documents
    /// before the store gives up with <see cref="FilterBudgetExceededException"/>; null for no bound.
    /// </summary>
    public TimeSpan? EvaluationBudget { get; }

    /// <summary>
    /// The parsed tree, the filter's only form: each store that needs a query language of its own translates it in
    /// one place (MongoDB: <c>Documents/Mongo/MongoFilterTranslation</c>).
    /// </summary>
    internal FilterNode? Root => _root;

    /// <summary>
    /// Rules out, without evaluating the filter, the stored documents its string equality cannot match; null when it
    /// has none. A store that holds documents as <see cref="System.Text.Json.JsonElement"/>s tests it first.
    /// </summary>
    internal StringEqualityProbe? Probe { get; }

    /// <summary>The path and the string of <see cref="IsSingleStringEquality"/>, when the filter is that and nothing more.</summary>
    internal (string Path, string Value)? SingleStringEquality { get; }

    /// <summary>True when the filter has no condition and so matches every document.</summary>
    public bool IsEmpty => _root is null;

    /// <summary>True when <paramref name="document"/> matches, with MongoDB's semantics.</summary>
    /// <remarks>Only JSON objects are documents: anything else matches nothing but the empty filter.</remarks>
    public bool Matches(JsonNode? document) =>
        _root is null || (document is JsonObject obj && _root.Matches(obj));

    /// <summary>
    /// The first top-level condition that a field equals a string, if
    /// any: a document can only match when that path reaches that string. Lets many watches with such filters be
    /// found by a dictionary lookup per message instead of being evaluated one by one (issue 17).
    /// </summary>
    public bool TryGetStringEquality([NotNullWhen(true)] out string? path, [NotNullWhen(true)] out string? value)
    {
        foreach (var field in TopLevelFields(_root))
        {
            if (JsonSemantics.AsString(FindEquality(field.Condition)) is { } text)
            {
                (path, value) = (field.Path, text);
                return true;
            }
        }

        (path, value) = (null, null);
        return false;
    }

    /// <summary>
    /// True when the whole filter is one condition that a field equals a string (the one
    /// <see cref="TryGetStringEquality"/> finds, and nothing more): a document then matches exactly when that path
    /// reaches that string, itself or as an element of an array it reaches, so an index of those strings answers it
    /// without evaluating it (issue 17).
    /// </summary>
    public bool IsSingleStringEquality =>
        _root is FieldNode { Condition: EqualsCondition { Expected: { } expected } } && JsonSemantics.AsString(expected) is not null;

    private static IEnumerable<FieldNode> TopLevelFields(FilterNode? node) => node switch
    {
        FieldNode field => [field],
        AllOfNode all => all.Children.SelectMany(TopLevelFields),
        _ => [],
    };

    private static JsonNode? FindEquality(ValueCondition condition) => condition switch
    {
        EqualsCondition { Expected: { } expected } => expected.DeepClone(),
        AllConditions all => all.Conditions.Select(FindEquality).FirstOrDefault(static v => v is not null),
        _ => null,
    };
}
