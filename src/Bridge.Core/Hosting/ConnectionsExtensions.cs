using Bridge.Connections;

namespace Bridge.Hosting;

public static class ConnectionsExtensions
{
    /// <summary>
    /// The connection layer every WebSocket front runs on (section <c>Bridge:Connections</c>). Each front calls
    /// it itself, so none relies on another's registration; calls after the first find it done.
    /// </summary>
    public static IHostApplicationBuilder AddBridgeConnections(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(static service => service.ServiceType == typeof(ConnectionRegistry)))
        {
            return builder;
        }

        builder.Services.AddOptions<ConnectionOptions>()
            .BindConfiguration(ConnectionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddSingleton<ConnectionLifecycle>();
        return builder;
    }
}
