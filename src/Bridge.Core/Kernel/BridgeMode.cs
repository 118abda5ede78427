namespace Bridge.Kernel;

/// <summary>
/// Which servers the configuration names: the one place that decides whether RabbitMQ (<c>Bridge:RabbitMq:Uri</c>)
/// and MongoDB (<c>Bridge:Mongo:Uri</c>) are used. With neither the bridge runs on its embedded defaults, and
/// several defaults follow from that: the demo producer and anonymous channel access are on only there.
/// </summary>
public sealed record BridgeMode(bool HasRabbitMq, bool HasMongo)
{
    /// <summary>Neither RabbitMQ nor MongoDB is configured.</summary>
    public bool IsEmbedded => !HasRabbitMq && !HasMongo;

    public static BridgeMode From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new(
            !string.IsNullOrWhiteSpace(configuration["Bridge:RabbitMq:Uri"]),
            !string.IsNullOrWhiteSpace(configuration["Bridge:Mongo:Uri"]));
    }
}
