using Bridge.Documents;
using Bridge.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bridge.UnitTests.Documents;

public sealed class DocumentsRegistrationTests : IDisposable
{
    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "bridge-docs-reg-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task AddBridgeDocuments_RegistersTheEmbeddedStoreUnderTheDataDirectoryAsync()
    {
        string? mongoUri = null;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _root });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bridge:DataDirectory"] = "data",
            ["Bridge:Mongo:Uri"] = mongoUri,
        });
        builder.AddBridgeCore();
        builder.AddBridgeDocuments();
        using var host = builder.Build();

        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var store = host.Services.GetRequiredService<IDocumentStore>();
        await store.InsertAsync("notifications", [], CancellationToken.None);
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.IsType<EmbeddedDocumentStore>(store);
        Assert.True(File.Exists(Path.Combine(_root, "data", "embedded", "notifications.jsonl")));
    }

    [Fact]
    public void AddBridgeDocuments_WithMongoUri_RegistersTheMongoStore()
    {
        using var host = Build(new() { ["Bridge:Mongo:Uri"] = "mongodb://localhost:27017/" });

        Assert.IsType<Bridge.Documents.Mongo.MongoDocumentStore>(host.Services.GetRequiredService<IDocumentStore>());
    }

    [Theory]
    [InlineData("Bridge:Mongo:Uri", "http://localhost:27017/")]
    [InlineData("Bridge:Mongo:Database", "a.b")]
    [InlineData("Bridge:Mongo:OperationTimeout", "00:00:00.001")]
    [InlineData("Bridge:Mongo:BreakerFailureRatio", "0")]
    public async Task AddBridgeDocuments_WithABadMongoSetting_FailsStartNamingTheKeyAsync(string key, string value)
    {
        var settings = new Dictionary<string, string?> { ["Bridge:Mongo:Uri"] = "mongodb://localhost:27017/", [key] = value };
        using var host = Build(settings);

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _root });
        settings["Bridge:DataDirectory"] = "data";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddBridgeCore();
        builder.AddBridgeDocuments();
        return builder.Build();
    }
}
