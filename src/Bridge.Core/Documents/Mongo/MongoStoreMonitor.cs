using Microsoft.Extensions.Options;

namespace Bridge.Documents.Mongo;

/// <summary>
/// Pings MongoDB every <see cref="MongoOptions.PingInterval"/> so that <c>/readyz</c> tells the truth between
/// requests, and (with <see cref="MongoOptions.Seed"/>) fills empty sample collections once the server answers.
/// Start-up never waits for MongoDB: the bridge serves watches without it.
/// </summary>
internal sealed class MongoStoreMonitor(
    MongoDocumentStore store,
    IOptions<MongoOptions> options,
    TimeProvider timeProvider,
    ILogger<MongoStoreMonitor> logger,
    IDocumentSeed? seed = null) : BackgroundService
{
    private bool _seeded = !options.Value.Seed || seed is null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PingInterval, timeProvider);
        do
        {
            if (await store.PingAsync(stoppingToken) && !_seeded)
            {
                try
                {
                    await SeedAsync(stoppingToken);
                    _seeded = true;
                }
                catch (Exception e) when (e is StoreUnavailableException or MongoDB.Driver.MongoException)
                {
                    MongoLog.SeedFailed(logger, e);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        foreach (var (collection, documents) in seed!.Create(timeProvider.GetUtcNow()))
        {
            if (await store.CountAsync(collection, Filter.Empty, cancellationToken) > 0)
            {
                continue;
            }

            foreach (var document in documents)
            {
                await store.InsertAsync(collection, document, cancellationToken);
            }

            MongoLog.Seeded(logger, collection, documents.Count);
        }
    }
}
