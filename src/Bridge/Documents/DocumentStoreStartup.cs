namespace Bridge.Documents;

/// <summary>
/// Opens the document store when the host starts, so a damaged store file fails start-up loudly
/// instead of the first query, and says which store is in use.
/// </summary>
internal sealed class DocumentStoreStartup(IServiceProvider services, bool mongoRequested, ILogger<DocumentStoreStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (mongoRequested)
        {
            DocumentsLog.MongoNotBuilt(logger);
        }

        _ = services.GetRequiredService<IDocumentStore>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
