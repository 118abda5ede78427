namespace Bridge.Publishing;

internal readonly record struct PublishRequest(string Exchange, string RoutingKey, byte[] Payload);
