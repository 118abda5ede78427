using Bridge.Connections;
using Bridge.Health;

namespace Bridge.Hosting;

internal static class EndpointExtensions
{
    public static WebApplication MapBridgeEndpoints(this WebApplication app)
    {
        // First, so that every error answer below it has a JSON body.
        app.UseMiddleware<JsonErrorBodyMiddleware>();

        // Oversized frames are refused from their header, before the WebSocket reads their payload: the guard
        // wraps the stream the WebSocket reads, so it comes before UseWebSockets.
        app.UseMiddleware<FrameLengthGuardMiddleware>();

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
