using Bridge.Documents;
using Bridge.Documents.Mongo;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>
/// The bridge on RabbitMQ and MongoDB (the stand-in, or <c>BRIDGE_TEST_MONGO_URI</c>), with <see cref="SampleData"/>
/// seeded into a database of its own through <see cref="MongoDocumentStore"/> before the bridge starts.
/// </summary>
public sealed class RabbitMqMongoBridgeFixture : RabbitMqBridgeFixture
{
    private MongoStandIn? _mongo;

    public MongoStandIn Mongo => _mongo ?? throw new InvalidOperationException("the fixture has not started");

    public string Database { get; } = MongoStandIn.NewDatabaseName();

    protected override async Task AddSettingsAsync(Dictionary<string, string?> settings)
    {
        _mongo = await MongoStandIn.StartAsync();
        await SeedAsync(_mongo.Uri, Database);
        settings["Bridge:Mongo:Uri"] = _mongo.Uri;
        settings["Bridge:Mongo:Database"] = Database;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_mongo is not null)
        {
            await _mongo.DisposeAsync();
        }
    }

    /// <summary>Inserts every sample collection into <paramref name="database"/>.</summary>
    public static async Task SeedAsync(string uri, string database)
    {
        using var store = CreateStore(uri, database);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var (collection, documents) in SampleData.Create())
        {
            foreach (var document in documents)
            {
                await store.InsertAsync(collection, document, timeout.Token);
            }
        }
    }

    public static MongoDocumentStore CreateStore(string uri, string database) =>
        new(Options.Create(new MongoOptions { Uri = uri, Database = database }), TimeProvider.System, NullLogger<MongoDocumentStore>.Instance);
}
