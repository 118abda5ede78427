namespace Bridge.Broker;

/// <summary>
/// A publish that must not create its exchange (<see cref="IBroker.PublishToExistingAsync"/>) named one that
/// does not exist. Nothing was published; the caller's request is at fault, not the broker.
/// </summary>
internal sealed class ExchangeNotFoundException(string exchange)
    : Exception($"The exchange '{exchange}' does not exist.")
{
    public string Exchange { get; } = exchange;
}
