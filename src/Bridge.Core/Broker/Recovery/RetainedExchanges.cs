namespace Bridge.Broker.Recovery;

/// <summary>
/// The exchanges whose traffic the recovery log keeps: <c>Bridge:Recovery:Exchanges</c>, or the channel exchanges
/// when that is empty (resolved by the composition root, which knows both areas).
/// </summary>
internal sealed class RetainedExchanges(IEnumerable<string> names)
{
    public IReadOnlySet<string> Names { get; } = new SortedSet<string>(names, StringComparer.Ordinal);
}
