namespace Bridge.Documents;

/// <summary>
/// Measures one request's filter evaluation against <see cref="Filter.EvaluationBudget"/>: call
/// <see cref="Check"/> after each document. A timestamp read costs nanoseconds next to a match.
/// </summary>
internal readonly struct FilterBudgetClock
{
    private readonly TimeProvider _timeProvider;
    private readonly long _started;
    private readonly TimeSpan? _budget;

    public FilterBudgetClock(Filter filter, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _budget = filter.IsEmpty ? null : filter.EvaluationBudget;
        _started = _budget is null ? 0 : timeProvider.GetTimestamp();
    }

    /// <summary>Throws <see cref="FilterBudgetExceededException"/> once the budget is spent.</summary>
    public void Check()
    {
        if (_budget is { } budget && _timeProvider.GetElapsedTime(_started) > budget)
        {
            throw new FilterBudgetExceededException(budget);
        }
    }
}
