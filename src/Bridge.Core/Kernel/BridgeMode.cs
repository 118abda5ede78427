namespace Bridge.Kernel;

/// <summary>
/// Whether the bridge runs on its embedded defaults (no RabbitMQ and no MongoDB configured). Several
/// defaults follow from it: the demo producer and anonymous channel access are on only there.
/// </summary>
public sealed record BridgeMode(bool IsEmbedded)
{
    public static BridgeMode From(IConfiguration configuration) =>
        new(string.IsNullOrWhiteSpace(configuration["Bridge:RabbitMq:Uri"])
            && string.IsNullOrWhiteSpace(configuration["Bridge:Mongo:Uri"]));
}
