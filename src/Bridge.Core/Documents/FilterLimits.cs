namespace Bridge.Documents;

/// <summary>Bounds on what a client may send as a filter.</summary>
/// <param name="MaxDepth">Nesting levels of objects and arrays in a filter (the filter object itself is level 1).</param>
/// <param name="MaxNodes">JSON values in a filter, counting objects, arrays and scalars.</param>
/// <param name="MaxLimit">The largest <c>limit</c> honoured; a larger one is lowered to it.</param>
public sealed record FilterLimits(int MaxDepth = 8, int MaxNodes = 256, int MaxLimit = 1000)
{
    /// <summary>Longest <c>$regex</c> pattern accepted, in characters.</summary>
    public int MaxRegexLength { get; init; } = 512;

    /// <summary>How long one regular-expression match may run before it counts as no match.</summary>
    public TimeSpan RegexMatchTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>See <see cref="Filter.EvaluationBudget"/>; null (the default) for no bound.</summary>
    public TimeSpan? EvaluationBudget { get; init; }
}
