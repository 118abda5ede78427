using Bridge.Publishing;

namespace Bridge.Hosting;

internal static class PublishingExtensions
{
    /// <summary>Registers <see cref="PublishEndpoint"/> and <see cref="PublishOptions"/>.</summary>
    public static IHostApplicationBuilder AddBridgePublishing(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<PublishOptions>()
            .BindConfiguration(PublishOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<PublishTargets>();
        builder.Services.AddSingleton<PublishEndpoint>();
        return builder;
    }

    /// <summary>Maps <c>POST /api/publish</c> (admins only).</summary>
    public static IEndpointRouteBuilder MapBridgePublishing(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost("/api/publish", static (HttpContext context, PublishEndpoint endpoint) => endpoint.HandleAsync(context));
        return endpoints;
    }
}
