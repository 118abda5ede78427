using Bridge.Channels;
using Bridge.Documents;

namespace Bridge.Subscriptions;

/// <summary>Where a subscription's events come from: one broker binding, and how to read and filter its bodies.</summary>
/// <param name="Exchange">Topic exchange.</param>
/// <param name="BindingKey">Binding key on it.</param>
/// <param name="Format">Waterline bodies are filtered on their <c>record</c>; raw bodies as they are.</param>
/// <param name="Filter">Which events (empty: all).</param>
internal sealed record TopicBinding(string Exchange, string BindingKey, WatchFormat Format, Filter Filter);
