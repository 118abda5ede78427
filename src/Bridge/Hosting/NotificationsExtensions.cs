using Bridge.Channels;
using Bridge.Notifications;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

public static class NotificationsExtensions
{
    /// <summary>
    /// Operator notifications (docs/notifications.md): live push on the <c>notifications</c> channel, the
    /// stored history (HTTP and channel), and webhook subscriptions with their delivery pipeline.
    /// </summary>
    public static IHostApplicationBuilder AddBridgeNotifications(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<NotificationOptions>()
            .BindConfiguration(NotificationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>();

        services.AddSingleton<NotificationHistory>();
        services.AddSingleton<NotificationsChannelResource>();
        services.AddSingleton<IChannelResource>(static sp => sp.GetRequiredService<NotificationsChannelResource>());
        services.AddSingleton<NotificationEndpoints>();
        services.AddHostedService<NotificationPush>();
        services.AddHostedService<HistoryRecorder>();
        return builder;
    }

    /// <summary>Maps <c>GET /api/notifications</c>.</summary>
    public static IEndpointRouteBuilder MapBridgeNotifications(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/notifications", static (HttpContext context, NotificationEndpoints endpoint) => endpoint.ListAsync(context));
        return endpoints;
    }
}
