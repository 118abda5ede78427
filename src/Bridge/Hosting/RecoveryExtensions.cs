using Bridge.Broker;
using Bridge.Broker.Recovery;
using Bridge.Channels;
using Bridge.Channels.Recovery;
using Bridge.Notifications;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

/// <summary>
/// Recovery on the channel protocol (issue 16 §1), under <c>Bridge:Recovery</c>: the recovery log (memory beside
/// the in-process broker, stream queues beside RabbitMQ) and the recovering watches that read it.
/// </summary>
internal static class RecoveryExtensions
{
    public static IHostApplicationBuilder AddBridgeRecovery(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RecoveryOptions>()
            .BindConfiguration(RecoveryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RecoveryOptions>, RecoveryOptionsValidator>();
        services.AddSingleton(static sp => new RetainedExchanges(ResolveExchanges(
            sp.GetRequiredService<IOptions<RecoveryOptions>>().Value,
            sp.GetRequiredService<ResourceTable>(),
            sp.GetRequiredService<IOptions<NotificationOptions>>().Value)));

        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{RabbitMqOptions.SectionName}:Uri"]))
        {
            services.AddSingleton<InMemoryRecoveryLog>();
            services.AddSingleton<IRecoveryLog>(static sp => sp.GetRequiredService<InMemoryRecoveryLog>());
            services.AddHostedService(static sp => sp.GetRequiredService<InMemoryRecoveryLog>());
        }
        else
        {
            services.AddSingleton<RabbitMqRecoveryLog>();
            services.AddSingleton<IRecoveryLog>(static sp => sp.GetRequiredService<RabbitMqRecoveryLog>());
            services.AddHostedService(static sp => sp.GetRequiredService<RabbitMqRecoveryLog>());
        }

        services.AddSingleton<RecoveringWatchRegistry>();
        services.AddSingleton<IRecoveringWatchers>(static sp => sp.GetRequiredService<RecoveringWatchRegistry>());
        return builder;
    }

    /// <summary><c>Bridge:Recovery:Exchanges</c>, or by default every exchange a channel client can watch.</summary>
    internal static IEnumerable<string> ResolveExchanges(RecoveryOptions recovery, ResourceTable resources, NotificationOptions notifications)
    {
        if (recovery.Exchanges.Count > 0)
        {
            return recovery.Exchanges;
        }

        return resources.MqExchanges
            .Concat(resources.All.Select(static r => r.Watch?.Exchange).OfType<string>())
            .Append(notifications.Exchange)
            .Distinct(StringComparer.Ordinal);
    }
}
