using Bridge.Channels;
using Bridge.Documents.Mongo;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

public static class ChannelsExtensions
{
    /// <summary>The MonoRail channel front (and the connection layer it runs on, if no other front has added it).</summary>
    public static IHostApplicationBuilder AddBridgeChannels(this IHostApplicationBuilder builder)
    {
        builder.AddBridgeConnections();
        builder.Services.AddOptions<ChannelOptions>()
            .BindConfiguration(ChannelOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ChannelOptions>, ChannelOptionsValidator>();

        // Bridge:Mongo:ChangeStreams lives with the MongoDB settings but decides the resource table's default.
        var changeStreamsByDefault = builder.Configuration.GetValue<bool>($"{MongoOptions.SectionName}:{nameof(MongoOptions.ChangeStreams)}");
        builder.Services.AddSingleton(services => new ResourceTable(
            services.GetRequiredService<IOptions<ChannelOptions>>().Value,
            services.GetServices<IChannelResource>().Select(static resource => resource.Definition),
            changeStreamsByDefault));
        builder.Services.AddSingleton<WatchRegistry>();
        builder.Services.AddHostedService<ChangeStreamStartupCheck>();
        builder.Services.AddSingleton<ChannelRouter>();
        builder.Services.AddSingleton<ChannelEndpoint>();
        return builder;
    }

    /// <summary>Maps <c>ws://host/{channel}</c> (and <c>ws://host/</c>, where every message names its resource).</summary>
    public static WebApplication MapBridgeChannels(this WebApplication app)
    {
        // UseWebSockets runs first, in MapBridgeEndpoints, for every WebSocket front.
        // WebSocket upgrades are GETs; other verbs fall through to 405 on the HTTP endpoints that share a path.
        app.MapGet("/{channel}", (HttpContext context, string channel, ChannelEndpoint endpoint) => endpoint.HandleAsync(context, channel))
            .WithName("Channel");
        app.Use(async (context, next) =>
        {
            if (context.Request.Path == "/" && context.WebSockets.IsWebSocketRequest)
            {
                await context.RequestServices.GetRequiredService<ChannelEndpoint>().HandleAsync(context, "");
                return;
            }

            await next(context);
        });
        return app;
    }

    private sealed class ChannelOptionsValidator : IValidateOptions<ChannelOptions>
    {
        public ValidateOptionsResult Validate(string? name, ChannelOptions options)
        {
            var problems = ResourceTable.Validate(options).ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
