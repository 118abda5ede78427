using Bridge.Health;

namespace Bridge.Hosting;

public static class EndpointExtensions
{
    public static WebApplication MapBridgeEndpoints(this WebApplication app)
    {
        // First, so that every error answer below it has a JSON body.
        app.UseMiddleware<JsonErrorBodyMiddleware>();
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
