namespace Bridge.Hosting;

public static class EndpointExtensions
{
    public static WebApplication MapBridgeEndpoints(this WebApplication app)
    {
        app.MapBridgeAuth();
        app.MapBridgePublishing();
        return app;
    }
}
