namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>One MongoDB (stand-in or <c>BRIDGE_TEST_MONGO_URI</c>) for a test class.</summary>
public sealed class MongoStandInFixture : IAsyncLifetime
{
    private MongoStandIn? _server;

    public MongoStandIn Server => _server ?? throw new InvalidOperationException("the fixture has not started");

    public async Task InitializeAsync() => _server = await MongoStandIn.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
