using Bridge.Health;

namespace Bridge.Hosting;

public static class EndpointExtensions
{
    public static WebApplication MapBridgeEndpoints(this WebApplication app)
    {
        app.MapBridgeHealth();
        app.MapBridgeAuth();
        app.MapBridgePublishing();
        app.MapBridgeNotifications();
        app.MapBridgeChannels();
        app.MapBridgeClients();
        app.MapBridgeLedger();
        return app;
    }
}
