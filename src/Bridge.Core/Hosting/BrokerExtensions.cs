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
            // Without Uri the endpoints would be ignored and the bridge run on the in-process broker: say so at start.
            if (builder.Configuration.GetSection($"{RabbitMqOptions.SectionName}:Endpoints").GetChildren().Any())
            {
                throw new OptionsValidationException(RabbitMqOptions.SectionName, typeof(RabbitMqOptions),
                    ["Bridge:RabbitMq:Endpoints is set but Bridge:RabbitMq:Uri is not: set Bridge:RabbitMq:Uri too (it switches RabbitMQ on and gives the credentials and vhost)."]);
            }

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
