namespace Bridge.Documents;

/// <summary>
/// Opens the document store when the host starts, so a damaged store file fails start-up loudly
/// instead of the first query, and says which store is in use.
/// </summary>
internal sealed class DocumentStoreStartup(IServiceProvider services, ILogger<DocumentStoreStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IDocumentStore>();
        store = (store as Observability.InstrumentedDocumentStore)?.Inner ?? store;
        DocumentsLog.StoreInUse(logger, store.GetType().Name);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
