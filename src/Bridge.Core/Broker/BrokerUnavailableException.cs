namespace Bridge.Broker;

public sealed class BrokerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
