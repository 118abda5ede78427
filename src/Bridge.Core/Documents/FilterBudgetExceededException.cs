namespace Bridge.Documents;

/// <summary>
/// A request's filter took longer to evaluate than its <see cref="Filter.EvaluationBudget"/>: the store stopped
/// and answered nothing rather than let one client's filter hold a core (issue 11, item 4).
/// </summary>
public sealed class FilterBudgetExceededException(TimeSpan budget)
    : Exception($"evaluating the filter took longer than its budget of {budget.TotalMilliseconds:0} ms; narrow the filter or its regular expressions")
{
    public TimeSpan Budget { get; } = budget;
}
