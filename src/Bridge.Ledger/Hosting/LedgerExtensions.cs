using Bridge.Ledger;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

public static class LedgerExtensions
{
    /// <summary>The five-bells-compatible ledger front: metadata, account lookup, <c>/websocket</c> and the broker input.</summary>
    public static IHostApplicationBuilder AddBridgeLedger(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddBridgeConnections();
        builder.Services.AddOptions<LedgerOptions>()
            .BindConfiguration(LedgerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LedgerOptions>, LedgerOptionsValidator>();
        builder.Services.AddSingleton<LedgerUris>();
        builder.Services.AddSingleton<LedgerSubscriptions>();
        builder.Services.AddSingleton<LedgerEventCounters>();
        builder.Services.AddSingleton<LedgerEndpoint>();
        builder.Services.AddSingleton<LedgerEventConsumer>();
        builder.Services.AddHostedService(services => services.GetRequiredService<LedgerEventConsumer>());
        return builder;
    }

    /// <summary>Maps <c>GET /</c>, <c>GET /accounts/{name}</c>, the <c>GET /transfers/{id}</c> probe and <c>ws://host/websocket</c>.</summary>
    public static WebApplication MapBridgeLedger(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", LedgerHttpEndpoints.Metadata);
        app.MapGet("/accounts/{name}", LedgerHttpEndpoints.Account);
        app.MapGet("/transfers/{id}", LedgerHttpEndpoints.TransferAsync);

        // A literal route: it wins over the channels' "/{channel}".
        app.MapGet(LedgerEndpoint.Path, (HttpContext context, LedgerEndpoint endpoint) => endpoint.HandleAsync(context));

        // five-bells answers other verbs on its token endpoint with a plain-text 405.
        app.MapMethods("/auth_token", [HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete],
            () => Results.Text("Method Not Allowed", "text/plain; charset=utf-8", statusCode: StatusCodes.Status405MethodNotAllowed));
        return app;
    }
}
