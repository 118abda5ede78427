using Bridge.Broker;
using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

/// <summary>Registers <see cref="IBroker"/>: RabbitMQ when <c>Bridge:RabbitMq:Uri</c> is set, the in-process broker otherwise.</summary>
public static class BrokerExtensions
{
    public static IHostApplicationBuilder AddBridgeBroker(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (!BridgeMode.From(builder.Configuration).HasRabbitMq)
        {
            services.AddSingleton<InProcessBroker>();
            services.AddSingleton<IBroker>(static sp => sp.GetRequiredService<InProcessBroker>());
            return builder;
        }

        services.AddOptions<RabbitMqOptions>()
            .BindConfiguration(RabbitMqOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RabbitMqOptions>, RabbitMqOptionsValidator>();
        services.AddSingleton<RabbitMqBroker>();
        services.AddSingleton<IBroker>(static sp => sp.GetRequiredService<RabbitMqBroker>());
        services.AddHostedService(static sp => sp.GetRequiredService<RabbitMqBroker>());
        return builder;
    }
}
