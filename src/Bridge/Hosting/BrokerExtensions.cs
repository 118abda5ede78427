namespace Bridge.Hosting;

// SEAM (owned by the broker work): registers IBroker (RabbitMQ when Bridge:RabbitMq:Uri is set, in-process otherwise).
public static class BrokerExtensions
{
    public static IHostApplicationBuilder AddBridgeBroker(this IHostApplicationBuilder builder) => builder;
}
