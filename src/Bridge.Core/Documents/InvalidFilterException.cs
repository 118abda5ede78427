namespace Bridge.Documents;

/// <summary>A filter that is refused before it reaches any store; the message says why, for the client.</summary>
public sealed class InvalidFilterException(string message) : Exception(message);
