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

    [Theory]
    [InlineData(null)]
    [InlineData("mongodb://localhost:27017/monorail")]
    public async Task AddBridgeDocuments_RegistersTheEmbeddedStoreUnderTheDataDirectoryAsync(string? mongoUri)
    {
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
}
