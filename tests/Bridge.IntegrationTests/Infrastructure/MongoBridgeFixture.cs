using Bridge.Demo;
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

    /// <summary>Inserts every sample collection into <paramref name="database"/> (the fixed dates of <see cref="SampleData.Create"/>, or <paramref name="data"/>).</summary>
    public static async Task SeedAsync(string uri, string database, IReadOnlyDictionary<string, IReadOnlyList<System.Text.Json.Nodes.JsonObject>>? data = null)
    {
        using var store = CreateStore(uri, database);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var (collection, documents) in data ?? SampleData.Create())
        {
            foreach (var document in documents)
            {
                await store.InsertAsync(collection, document, timeout.Token);
            }
        }
    }

    /// <summary>
    /// A store for test setup. Its timeout is generous on purpose: the first operations on a stand-in that has
    /// just started, while the whole suite starts its servers on two cores, may take longer than the bridge's
    /// 1.5 s default, and setup is not what the tests measure.
    /// </summary>
    public static MongoDocumentStore CreateStore(string uri, string database)
    {
        // The driver's own waits too (the store caps them at 1 s unless the URI sets them).
        var separator = uri.Contains('?', StringComparison.Ordinal) ? "&" : uri.EndsWith('/') ? "?" : "/?";
        var patient = $"{uri}{separator}serverSelectionTimeoutMS=10000&connectTimeoutMS=10000";
        return new(
            Options.Create(new MongoOptions { Uri = patient, Database = database, OperationTimeout = TimeSpan.FromSeconds(30) }),
            TimeProvider.System,
            NullLogger<MongoDocumentStore>.Instance);
    }
}
