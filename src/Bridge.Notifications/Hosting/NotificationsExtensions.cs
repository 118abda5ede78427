using Bridge.Channels;
using Bridge.Notifications;
using Bridge.Subscriptions;
using Bridge.Webhooks;
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
        // The live push broadcasts to the registry of connections.
        builder.AddBridgeConnections();
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

        services.AddOptions<WebhookOptions>()
            .BindConfiguration(WebhookOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        services.AddSingleton<WebhookTargetPolicy>();
        services.AddHttpClient(WebhookEmitter.HttpClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static sp => new SocketsHttpHandler
            {
                // Targets' addresses change; attempt timeouts are the pipeline's, not the client's.
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),

                // A redirect could point anywhere (127.0.0.1 included): it is the target's answer, not followed.
                AllowAutoRedirect = false,

                // Every connection goes where the policy allows, checked on the address actually connected to;
                // a proxy would connect in our place, unchecked.
                UseProxy = false,
                ConnectCallback = sp.GetRequiredService<WebhookTargetPolicy>().ConnectAsync,
            });
        services.AddSingleton<WebhookEmitter>();
        services.AddSingleton<INotificationEmitter>(static sp => sp.GetRequiredService<WebhookEmitter>());
        services.AddSingleton<SubscriptionStore>();
        services.AddSingleton<SubscriptionDispatcher>();
        services.AddHostedService(static sp => sp.GetRequiredService<SubscriptionDispatcher>());
        services.AddSingleton<SubscriptionEndpoints>();
        services.AddSingleton<BridgeDiscovery>();
        return builder;
    }

    /// <summary>Maps <c>GET /api/notifications</c>, <c>/api/subscriptions</c> and <c>GET /.well-known/bridge</c>.</summary>
    public static IEndpointRouteBuilder MapBridgeNotifications(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/notifications", static (HttpContext context, NotificationEndpoints endpoint) => endpoint.ListAsync(context));
        endpoints.MapPost(BridgeDiscovery.SubscriptionsPath, static (HttpContext context, SubscriptionEndpoints endpoint) => endpoint.CreateAsync(context));
        endpoints.MapGet(BridgeDiscovery.SubscriptionsPath, static (HttpContext context, SubscriptionEndpoints endpoint) => endpoint.ListAsync(context));
        endpoints.MapGet(BridgeDiscovery.SubscriptionsPath + "/{id}",
            static (HttpContext context, string id, SubscriptionEndpoints endpoint) => endpoint.GetAsync(context, id));
        endpoints.MapDelete(BridgeDiscovery.SubscriptionsPath + "/{id}",
            static (HttpContext context, string id, SubscriptionEndpoints endpoint) => endpoint.DeleteAsync(context, id));
        endpoints.MapPost(BridgeDiscovery.SubscriptionsPath + "/{id}/rotate",
            static (HttpContext context, string id, SubscriptionEndpoints endpoint) => endpoint.RotateAsync(context, id));
        endpoints.MapPost(BridgeDiscovery.SubscriptionsPath + "/{id}/ping",
            static (HttpContext context, string id, SubscriptionEndpoints endpoint) => endpoint.PingAsync(context, id));
        endpoints.MapGet(BridgeDiscovery.Path, static (BridgeDiscovery discovery) => Results.Text(discovery.Describe().ToJsonString(), "application/json"));
        return endpoints;
    }
}
