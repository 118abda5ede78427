using Bridge.Broker;
using Bridge.Broker.Recovery;
using Bridge.Documents;

namespace Bridge.Health;

/// <summary>
/// <c>/healthz</c> says the process is alive (for restarts); <c>/readyz</c> says whether it can serve
/// (for load balancers): the broker and the document store must both be reachable, and the recovery log able to
/// serve recovering watches (on RabbitMQ: its streams declared and none of their readers down).
/// </summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapBridgeHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Json(new { status = "alive" }));
        endpoints.MapGet("/readyz", (IBroker broker, IDocumentStore store, IRecoveryLog recovery) =>
        {
            var brokerStatus = broker.Status;
            var storeStatus = store.Status;
            var recoveryStatus = recovery.Status;
            var ready = brokerStatus.IsReady && storeStatus.IsReady && recoveryStatus.IsReady;
            var body = new
            {
                ready,
                checks = new
                {
                    broker = new { ready = brokerStatus.IsReady, description = brokerStatus.Description },
                    store = new { ready = storeStatus.IsReady, description = storeStatus.Description },
                    recovery = new { ready = recoveryStatus.IsReady, description = recoveryStatus.Description },
                },
            };
            return Results.Json(body, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
