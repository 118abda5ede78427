using Bridge.Clients;

namespace Bridge.Hosting;

internal static class ClientsExtensions
{
    /// <summary>
    /// Serves the browser client at <c>/client/bridge.js</c> and the dashboard at <c>/ui/</c> (<c>/ui</c>
    /// redirects there). Literal routes take precedence over the channel route <c>/{channel}</c>, so
    /// <c>ui</c> and <c>client</c> are never taken for channels.
    /// </summary>
    public static WebApplication MapBridgeClients(this WebApplication app)
    {
        var assets = new EmbeddedAssets();
        app.MapMethods("/client/{**path}", [HttpMethods.Get, HttpMethods.Head],
            (HttpContext context, string? path) => assets.ServeAsync(context, $"client/{path}"))
            .WithName("BrowserClient");
        app.MapMethods("/ui/{**path}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, string? path) =>
        {
            // "/ui" (no slash) would resolve the page's relative URLs against "/": send the browser to "/ui/".
            if (context.Request.Path.Value is "/ui")
            {
                context.Response.Redirect("/ui/");
                return Task.CompletedTask;
            }

            return assets.ServeAsync(context, string.IsNullOrEmpty(path) ? "ui/index.html" : $"ui/{path}");
        }).WithName("Dashboard");
        app.MapGet(DashboardSession.Path, DashboardSession.Handle).WithName("DashboardSession");
        return app;
    }
}
