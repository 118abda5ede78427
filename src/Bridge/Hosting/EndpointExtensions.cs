using Bridge.Connections;
using Bridge.Health;

namespace Bridge.Hosting;

public static class EndpointExtensions
{
    public static WebApplication MapBridgeEndpoints(this WebApplication app)
    {
        // Before every endpoint: upgrades are recognised, a cross-site upgrade with Basic credentials is
        // refused before any password is checked, and a refused password check becomes 429/503.
        app.UseWebSockets();
        app.UseMiddleware<CrossSiteUpgradeCheck>();
        app.UseBridgeAuth();
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
