namespace Bridge.Broker;

/// <summary>One broker binding: messages on <paramref name="Exchange"/> whose routing key matches <paramref name="BindingKey"/>.</summary>
public readonly record struct BrokerBinding(string Exchange, string BindingKey);
