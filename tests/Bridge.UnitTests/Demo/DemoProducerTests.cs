using System.Text.Json.Nodes;
using Bridge.Demo;
using Bridge.Documents;
using Bridge.Hosting;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bridge.UnitTests.Demo;

public sealed class DemoProducerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "bridge-demo-" + Guid.NewGuid().ToString("N"));
    private readonly RecordingBroker _broker = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly EmbeddedDocumentStore _store;

    public DemoProducerTests()
    {
        _store = new EmbeddedDocumentStore(new EmbeddedStoreOptions(), _directory, _time, NullLogger<EmbeddedDocumentStore>.Instance, new DemoSeed());
    }

    public void Dispose()
    {
        _store.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private DemoProducer CreateProducer(TimeProvider? time = null, TimeSpan? interval = null) => new(
        _broker, _store, time ?? _time,
        Options.Create(new DemoOptions { Interval = interval ?? TimeSpan.FromSeconds(1) }),
        NullLogger<DemoProducer>.Instance);

    private async Task StepAsync(DemoProducer producer, int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            await producer.StepAsync(CancellationToken.None).WaitAsync(Timeout);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    private async Task<JsonObject?> FindAsync(string collection, string id)
    {
        var query = new DocumentQuery(FilterParser.ParseFilter(new JsonObject { ["id"] = id }, new FilterLimits()), [], 0, null);
        var found = await _store.FindAsync(collection, query, CancellationToken.None);
        return found.Count == 0 ? null : found[0];
    }

    [Fact]
    public async Task DiscoveryRun_PublishesWorkflowEventsOnOnEventsAsync()
    {
        await StepAsync(CreateProducer(), 6);

        var events = _broker.On(DemoProducer.EventsExchange);
        Assert.Equal(6, events.Count);
        var nodeId = SampleData.ComputeNodeIds[0];
        var graphId = events[0].Body["typeId"]!.GetValue<string>();
        Assert.True(Guid.TryParse(graphId, out _));
        Assert.Equal($"graph.started.information.{graphId}.{nodeId}", events[0].RoutingKey);
        Assert.Equal($"graph.finished.information.{graphId}.{nodeId}", events[^1].RoutingKey);
        Assert.Equal("succeeded", events[^1].Body["data"]!["status"]!.GetValue<string>());

        var progress = events.Skip(1).Take(4).ToList();
        Assert.All(progress, p =>
        {
            Assert.Equal($"graph.progress.updated.information.{graphId}.{nodeId}", p.RoutingKey);
            Assert.Equal("graph", p.Body["type"]!.GetValue<string>());
            Assert.Equal("progress.updated", p.Body["action"]!.GetValue<string>());
            Assert.Equal("information", p.Body["severity"]!.GetValue<string>());
            Assert.Equal(nodeId, p.Body["nodeId"]!.GetValue<string>());
            Assert.Equal("1.0", p.Body["version"]!.GetValue<string>());
            Assert.Equal(graphId, p.Body["data"]!["graphId"]!.GetValue<string>());
            Assert.Equal("Discovery", p.Body["data"]!["graphName"]!.GetValue<string>());
            Assert.Equal(4, p.Body["data"]!["progress"]!["maximum"]!.GetValue<int>());
            Assert.NotNull(p.Body["data"]!["taskProgress"]!["taskId"]);
            Assert.EndsWith("Z", p.Body["createdAt"]!.GetValue<string>(), StringComparison.Ordinal);
        });
        Assert.Equal(["25%", "50%", "75%", "100%"], progress.Select(p => p.Body["data"]!["progress"]!["percentage"]!.GetValue<string>()));
    }

    [Fact]
    public async Task DiscoveryRun_PublishesLogsOnOnLoggingWithLevelAsRoutingKeyAsync()
    {
        await StepAsync(CreateProducer(), 6);

        var logs = _broker.On(DemoProducer.LoggingExchange);
        Assert.Equal(["info", "debug", "debug", "debug", "debug", "info"], logs.Select(l => l.RoutingKey));
        Assert.All(logs, l =>
        {
            foreach (var key in new[] { "name", "host", "module", "level", "message", "context", "timestamp", "caller", "subject" })
            {
                Assert.True(l.Body.ContainsKey(key), $"log body lacks {key}: {l.Body.ToJsonString()}");
            }

            Assert.Equal(l.RoutingKey, l.Body["level"]!.GetValue<string>());
            Assert.Equal("on-taskgraph", l.Body["name"]!.GetValue<string>());
            Assert.Equal(SampleData.ComputeNodeIds[0], l.Body["context"]!["id"]!.GetValue<string>());
        });
        Assert.Equal("Graph Discovery started", logs[0].Body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task DiscoveryRun_PublishesDatabaseChangesThatTheStoreAlreadyHoldsAsync()
    {
        await StepAsync(CreateProducer(), 6);

        var changes = _broker.On(DemoProducer.WaterlineExchange);
        Assert.Equal(["created", "created", "created", "updated"], changes.Select(c => c.Body["event"]!.GetValue<string>()));
        foreach (var (routingKey, body) in changes)
        {
            var record = body["record"]!.AsObject();
            var id = record["id"]!.GetValue<string>();
            var collection = record.ContainsKey("source") ? SampleData.Catalogs : SampleData.Nodes;
            Assert.Equal($"{collection}.{body["event"]!.GetValue<string>()}.{id}", routingKey);
            var stored = await FindAsync(collection, id);
            Assert.NotNull(stored);
            Assert.Equal(record.ToJsonString(), stored.ToJsonString());
        }

        var catalogs = changes.Take(3).Select(c => c.Body["record"]!).ToList();
        Assert.Equal(["dmi", "bmc", "lsscsi"], catalogs.Select(c => c["source"]!.GetValue<string>()));
        Assert.All(catalogs, c => Assert.Equal(SampleData.ComputeNodeIds[0], c["node"]!.GetValue<string>()));
        Assert.Equal("2024-06-01T12:00:05.000Z", changes[^1].Body["record"]!["updatedAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task ManyRuns_DestroyOldDemoCatalogs_KeepingTheDataBoundedAsync()
    {
        var seeded = await _store.CountAsync(SampleData.Catalogs, Filter.Empty, CancellationToken.None);

        await StepAsync(CreateProducer(), 120);

        var changes = _broker.On(DemoProducer.WaterlineExchange).Where(c => c.RoutingKey.StartsWith("catalogs.", StringComparison.Ordinal)).ToList();
        var created = changes.Where(c => c.Body["event"]!.GetValue<string>() == "created").ToList();
        var destroyed = changes.Where(c => c.Body["event"]!.GetValue<string>() == "destroyed").ToList();
        Assert.True(created.Count > DemoProducer.MaxDemoCatalogs, $"only {created.Count} catalogs were created");
        Assert.Equal(created.Count - DemoProducer.MaxDemoCatalogs, destroyed.Count);
        Assert.Equal(seeded + DemoProducer.MaxDemoCatalogs, await _store.CountAsync(SampleData.Catalogs, Filter.Empty, CancellationToken.None));
        foreach (var (routingKey, body) in destroyed)
        {
            var id = body["record"]!["id"]!.GetValue<string>();
            Assert.Equal($"catalogs.destroyed.{id}", routingKey);
            Assert.Null(await FindAsync(SampleData.Catalogs, id));
        }

        // Runs go round the compute nodes and the workflow kinds.
        var started = _broker.On(DemoProducer.EventsExchange).Where(e => e.Body["action"]!.GetValue<string>() == "started").ToList();
        Assert.Equal(SampleData.ComputeNodeIds.Count, started.Select(s => s.Body["nodeId"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal(3, started.Select(s => s.Body["data"]!["graphName"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task BrokerUnavailable_StepIsSurvived_AndPublishingResumesAsync()
    {
        var producer = CreateProducer();
        _broker.FailNext(3);

        for (var i = 0; i < 6; i++)
        {
            await producer.StepSafelyAsync(CancellationToken.None).WaitAsync(Timeout);
        }

        Assert.NotEmpty(_broker.Published);
        Assert.Contains(_broker.Published, p => p.Exchange == DemoProducer.EventsExchange);
    }

    [Fact]
    public async Task UnexpectedFailure_IsSurvivedTooAsync()
    {
        var producer = new DemoProducer(new ThrowingBroker(), _store, _time, Options.Create(new DemoOptions()), NullLogger<DemoProducer>.Instance);
        await producer.StepSafelyAsync(CancellationToken.None).WaitAsync(Timeout);
        await producer.StepSafelyAsync(CancellationToken.None).WaitAsync(Timeout);
    }

    [Fact]
    public async Task Running_PublishesEveryIntervalAndStopsPromptlyAsync()
    {
        using var producer = CreateProducer(TimeProvider.System, TimeSpan.FromMilliseconds(10));

        await producer.StartAsync(CancellationToken.None).WaitAsync(Timeout);
        await WaitUntil.TrueAsync(() => _broker.Published.Count >= 10, () => $"only {_broker.Published.Count} messages after {Timeout}", Timeout);

        await producer.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        var afterStop = _broker.Published.Count;
        await Task.Delay(100);
        Assert.Equal(afterStop, _broker.Published.Count);
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData("amqp://localhost", null, false)]
    [InlineData("amqp://localhost", "true", true)]
    [InlineData(null, "false", false)]
    public void AddBridgeDemo_RegistersTheProducerWhenEnabledOrEmbedded(string? rabbitUri, string? enabled, bool expected)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bridge:RabbitMq:Uri"] = rabbitUri,
            ["Bridge:Demo:Enabled"] = enabled,
        });

        builder.AddBridgeDemo();

        Assert.Equal(expected, builder.Services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(DemoProducer)));
    }

    [Fact]
    public void DemoOptions_ZeroInterval_FailsValidationNamingTheKey()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Bridge:Demo:Interval"] = "00:00:00" });
        builder.AddBridgeDemo();
        using var host = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<DemoOptions>>().Value);
        Assert.Contains("Bridge:Demo:Interval", error.Message, StringComparison.Ordinal);
    }

    private sealed class ThrowingBroker : Bridge.Broker.IBroker
    {
        public Bridge.Broker.DependencyStatus Status => new(false, "broken");

        public ValueTask<IAsyncDisposable> SubscribeAsync(string exchange, string bindingKey, Bridge.Broker.DeliveryHandler handler, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("unexpected");

        public ValueTask PublishToExistingAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("unexpected");

        public ValueTask<Bridge.Broker.IQueueConsumer> ConsumeQueueAsync(string queue, string exchange, string bindingKey, Bridge.Broker.QueueHandler handler, Bridge.Broker.QueueConsumerOptions options, CancellationToken cancellationToken) =>
            throw new NotSupportedException("this fake broker has no durable queues");

        public ValueTask<bool> DeleteQueueAsync(string queue, CancellationToken cancellationToken) =>
            throw new NotSupportedException("this fake broker has no durable queues");
    }
}
