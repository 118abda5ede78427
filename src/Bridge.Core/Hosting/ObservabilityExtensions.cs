using Bridge.Documents;
using Bridge.Observability;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RabbitMQ.Client;

namespace Bridge.Hosting;

/// <summary>
/// Metrics and traces through OpenTelemetry: the bridge's own meter and spans, and the instrumentation that
/// ASP.NET Core, Kestrel, HttpClient, the runtime and RabbitMQ.Client already have, switched on rather than
/// re-implemented. <c>/metrics</c> serves Prometheus text; OTLP export follows the standard
/// <c>OTEL_EXPORTER_OTLP_*</c> variables when an endpoint is set.
/// </summary>
public static class ObservabilityExtensions
{
    public const string OperationsPath = "/api/operations";

    public static IHostApplicationBuilder AddBridgeObservability(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<MetricsOptions>()
            .BindConfiguration(MetricsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<TracingOptions>().BindConfiguration(TracingOptions.SectionName);
        services.AddSingleton<BridgeMetrics>();
        services.AddSingleton<MetricsAccess>();
        services.AddSingleton<OperationsMonitor>();
        services.AddHostedService(static sp => sp.GetRequiredService<OperationsMonitor>());
        DecorateDocumentStore(services);

        // Log records carry the current span's ids (the JSON console formatter shows them with IncludeScopes).
        builder.Logging.Configure(static options => options.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        // Each signal can be switched off (the bench measures the bridge with and without them); the operations
        // strip's listener on the bridge's own meter is not OpenTelemetry and stays.
        var switches = TelemetrySwitches.Read(builder.Configuration);
        services.AddSingleton(switches);
        if (!switches.Metrics && !switches.Tracing)
        {
            return builder;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(static resource => resource.AddService("bridge"));
        if (switches.Metrics)
        {
            telemetry.WithMetrics(static metrics => metrics
                .AddMeter(BridgeMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        }

        if (switches.Tracing)
        {
            // RabbitMQ.Client names its spans "deliver <routing key>" by default: a routing key carries ids (RackHD's
            // <collection>.<event>.<id>), so span names would be unbounded, as no label here may be, and a new string
            // would be built for every message. "deliver"/"publish" it is; the key stays in the span's tags.
            RabbitMQActivitySource.UseRoutingKeyAsOperationName = false;

            // Its deliver span links the producer's context, read by default through DistributedContextPropagator,
            // which builds a string of each traced message's traceparent; the bridge reads the same header again for
            // its own span's parent. One reader for both, from the header's bytes (TraceParent).
            RabbitMQActivitySource.ContextExtractor = static properties => BridgeTracing.ExtractFromHeaders(properties.Headers);
            telemetry.WithTracing(static tracing => tracing
                .AddSource(BridgeTracing.SourceName, RabbitMQActivitySource.PublisherSourceName, RabbitMQActivitySource.SubscriberSourceName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
        }

        if (switches.Otlp)
        {
            // UseOtlpExporter would switch every signal on, metrics included.
            if (switches.Metrics)
            {
                telemetry.UseOtlpExporter();
            }
            else
            {
                telemetry.WithTracing(static tracing => tracing.AddOtlpExporter());
            }
        }

        return builder;
    }

    /// <summary>Maps <c>Bridge:Metrics:Path</c> (Prometheus) and <c>/api/operations</c> (the dashboard's strip), both behind <see cref="MetricsAccess"/>.</summary>
    public static WebApplication MapBridgeObservability(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var path = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Path;
        if (!string.IsNullOrEmpty(path) && app.Services.GetRequiredService<TelemetrySwitches>().Metrics)
        {
            app.MapPrometheusScrapingEndpoint(path, meterProvider: null, static branch => branch.Use(RequireMetricsAccessAsync), optionsName: null);
        }

        app.MapGet(OperationsPath, static async (HttpContext context, MetricsAccess access, OperationsMonitor monitor) =>
            await access.CheckAsync(context) ?? Results.Json(monitor.Snapshot()));
        return app;
    }

    private static async Task RequireMetricsAccessAsync(HttpContext context, RequestDelegate next)
    {
        var refusal = await context.RequestServices.GetRequiredService<MetricsAccess>().CheckAsync(context);
        if (refusal is null)
        {
            await next(context);
            return;
        }

        await refusal.ExecuteAsync(context);
    }

    // Every store operation is timed, whichever store the composition chose; registered after AddBridgeDocuments.
    private static void DecorateDocumentStore(IServiceCollection services)
    {
        var registration = services.LastOrDefault(static d => d.ServiceType == typeof(IDocumentStore));
        if (registration?.ImplementationFactory is not { } factory)
        {
            return;
        }

        services.Remove(registration);
        services.AddSingleton<IDocumentStore>(sp =>
        {
            var inner = (IDocumentStore)factory(sp);
            var name = inner is EmbeddedDocumentStore ? "embedded" : "mongodb";
            return new InstrumentedDocumentStore(inner, name, sp.GetRequiredService<BridgeMetrics>());
        });
    }
}
