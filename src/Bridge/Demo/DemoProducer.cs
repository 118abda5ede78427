using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Documents;
using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Demo;

/// <summary>
/// Publishes realistic RackHD traffic so that a bridge with no servers shows live data: one workflow at a
/// time runs over the compute nodes, reporting on <c>on.events</c> (graph started, progress, finished),
/// logging on <c>on.logging</c>, and changing nodes and catalogs on <c>on.waterline</c>. Every database
/// change is applied to <see cref="IDocumentStore"/> before it is published, so queries and watches agree.
/// Catalogs it creates are destroyed again later, keeping the sample data bounded. With
/// <see cref="DemoTransactions"/> (registered by <c>AddBridgeDemo</c>) each run is also a <c>webhook_tx</c>
/// transaction and a ledger transfer; every <see cref="FailingRunEvery"/>th run fails its last task, so the
/// feeds show errors and rejections too.
/// </summary>
internal sealed class DemoProducer(
    IBroker broker,
    IDocumentStore store,
    TimeProvider timeProvider,
    IOptions<DemoOptions> options,
    ILogger<DemoProducer> logger,
    DemoTransactions? transactions = null) : BackgroundService
{
    /// <summary>Every this many runs, one fails (its last task, its transaction, its transfer).</summary>
    public const int FailingRunEvery = 4;

    public const string EventsExchange = "on.events";
    public const string LoggingExchange = "on.logging";
    public const string WaterlineExchange = "on.waterline";

    /// <summary>At most this many catalogs created by the demo exist at once; older ones are destroyed.</summary>
    public const int MaxDemoCatalogs = 6;

    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private static readonly WorkflowDefinition[] Workflows =
    [
        new("Discovery", "Graph.Discovery",
        [
            new("bootstrap-ubuntu", "Bootstrap Ubuntu", null),
            new("catalog-dmi", "Catalog dmi", "dmi"),
            new("catalog-bmc", "Catalog bmc", "bmc"),
            new("catalog-lsscsi", "Catalog lsscsi", "lsscsi"),
        ]),
        new("Power On Node", "Graph.PowerOn.Node", [new("power-on", "Power On Node", null)]),
        new("Reboot Node", "Graph.Reboot.Node", [new("set-boot-pxe", "Set PXE Boot", null), new("reboot", "Reboot Node", null)]),
    ];

    private readonly DemoOptions _options = options.Value;
    private readonly Queue<string> _demoCatalogs = new();
    private Run? _current;
    private int _runCount;
    private int _failedSteps;
    private DateTimeOffset _lastWarning = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DemoLog.Started(logger, _options.Interval);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await StepSafelyAsync(stoppingToken);
                await Task.Delay(_options.Interval, timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }

        DemoLog.Stopped(logger);
    }

    /// <summary>One step that never throws except for cancellation: a broker or store outage is logged (rate limited) and survived.</summary>
    internal async Task StepSafelyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await StepAsync(cancellationToken);
            if (_failedSteps > 0)
            {
                DemoLog.Recovered(logger, _failedSteps);
                _failedSteps = 0;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _failedSteps++;
            var now = timeProvider.GetUtcNow();
            var reason = e is BrokerUnavailableException or StoreUnavailableException ? e.Message : e.GetType().Name + ": " + e.Message;
            if (now - _lastWarning >= WarningInterval)
            {
                _lastWarning = now;
                // An expected outage needs no stack trace; anything else does.
                DemoLog.StepFailed(logger, reason, e is BrokerUnavailableException or StoreUnavailableException ? null : e);
            }
            else
            {
                DemoLog.StepFailedAgain(logger, reason);
            }
        }
    }

    /// <summary>Advances the simulation by one step: start a workflow, finish one of its tasks, or finish it.</summary>
    internal async Task StepAsync(CancellationToken cancellationToken)
    {
        if (_current is null)
        {
            var definition = Workflows[_runCount % Workflows.Length];
            var nodeIndex = _runCount % SampleData.ComputeNodeIds.Count;
            _runCount++;
            // The run is current before anything is published: a failed publish skips a message, never the simulation.
            var run = _current = new Run(definition, Guid.NewGuid().ToString(), nodeIndex + 1, SampleData.ComputeNodeIds[nodeIndex])
            {
                Fails = _runCount % FailingRunEvery == 0,
                StartedAt = timeProvider.GetUtcNow(),
                Amount = 5 + (_runCount % 7 * 2.5m),
            };
            await PublishEventAsync(run, "started", new JsonObject
            {
                ["graphId"] = run.GraphId,
                ["graphName"] = definition.Name,
                ["nodeId"] = run.NodeId,
            }, cancellationToken);
            await PublishLogAsync(run, "info", $"Graph {definition.Name} started", null, "lib/task-graph.js:402", cancellationToken);
            await PublishTransactionAsync(run, "pending", $"{definition.Name} on {run.NodeId} started", completed: false, cancellationToken);
            await PublishTransferAsync(run, "prepared", cancellationToken);
            return;
        }

        var current = _current;
        if (current.CompletedTasks < current.Definition.Tasks.Count)
        {
            var task = current.Definition.Tasks[current.CompletedTasks];
            current.CompletedTasks++;
            if (task.CatalogSource is { } source)
            {
                await CreateCatalogAsync(current, source, cancellationToken);
            }

            await PublishProgressAsync(current, task, cancellationToken);
            await PublishLogAsync(current, "debug", $"Task {task.Name} succeeded", task, "lib/task-runner.js:315", cancellationToken);
            await PublishTransactionAsync(current, "pending", $"Task {task.Name} finished", completed: false, cancellationToken);
            return;
        }

        _current = null;
        await UpdateNodeAsync(current, cancellationToken);
        var outcome = current.Fails ? "failed" : "succeeded";
        await PublishEventAsync(current, "finished", new JsonObject
        {
            ["graphId"] = current.GraphId,
            ["graphName"] = current.Definition.Name,
            ["nodeId"] = current.NodeId,
            ["status"] = outcome,
        }, cancellationToken);
        await PublishLogAsync(current, current.Fails ? "error" : "info", $"Graph {current.Definition.Name} {outcome}", null, "lib/task-graph.js:561", cancellationToken);
        await PublishTransactionAsync(current, current.Fails ? "error" : "success",
            current.Fails ? $"{current.Definition.Name} on {current.NodeId} failed: the node did not answer" : $"{current.Definition.Name} on {current.NodeId} succeeded",
            completed: true, cancellationToken);
        await PublishTransferAsync(current, current.Fails ? "rejected" : "executed", cancellationToken);
    }

    private ValueTask PublishTransactionAsync(Run run, string status, string message, bool completed, CancellationToken cancellationToken) =>
        transactions is null
            ? ValueTask.CompletedTask
            : PublishAsync(transactions.Status(run.GraphId, status, message, run.CompletedTasks, run.Definition.Tasks.Count, run.StartedAt, timeProvider.GetUtcNow(), completed), cancellationToken);

    private ValueTask PublishTransferAsync(Run run, string state, CancellationToken cancellationToken) =>
        transactions is null
            ? ValueTask.CompletedTask
            : PublishAsync(transactions.Transfer(run.GraphId, run.Amount, state, run.StartedAt, timeProvider.GetUtcNow()), cancellationToken);

    private ValueTask PublishAsync(DemoMessage message, CancellationToken cancellationToken) =>
        PublishAsync(message.Exchange, message.RoutingKey, message.Body, cancellationToken);

    private async Task CreateCatalogAsync(Run run, string source, CancellationToken cancellationToken)
    {
        var catalog = SampleData.CatalogFor(run.NodeIndex, source, DocumentIds.New(timeProvider), Now());
        var id = catalog["id"]!.GetValue<string>();
        await store.InsertAsync(SampleData.Catalogs, catalog, cancellationToken);
        _demoCatalogs.Enqueue(id);
        await PublishChangeAsync(SampleData.Catalogs, "created", id, catalog, cancellationToken);

        while (_demoCatalogs.Count > MaxDemoCatalogs)
        {
            var oldest = _demoCatalogs.Dequeue();
            var byId = new DocumentQuery(FilterParser.ParseFilter(new JsonObject { ["id"] = oldest }, new FilterLimits()), [], 0, 1);
            var existing = await store.FindAsync(SampleData.Catalogs, byId, cancellationToken);
            if (existing.Count > 0 && await store.DeleteAsync(SampleData.Catalogs, oldest, cancellationToken))
            {
                await PublishChangeAsync(SampleData.Catalogs, "destroyed", oldest, existing[0], cancellationToken);
            }
        }
    }

    private async Task UpdateNodeAsync(Run run, CancellationToken cancellationToken)
    {
        var byId = new DocumentQuery(FilterParser.ParseFilter(new JsonObject { ["id"] = run.NodeId }, new FilterLimits()), [], 0, 1);
        var nodes = await store.FindAsync(SampleData.Nodes, byId, cancellationToken);
        if (nodes.Count == 0)
        {
            return;
        }

        var node = nodes[0];
        node["updatedAt"] = Now();
        await store.UpsertAsync(SampleData.Nodes, run.NodeId, node, cancellationToken);
        await PublishChangeAsync(SampleData.Nodes, "updated", run.NodeId, node, cancellationToken);
    }

    private ValueTask PublishEventAsync(Run run, string action, JsonObject data, CancellationToken cancellationToken) =>
        PublishAsync(EventsExchange, $"graph.{action}.information.{run.GraphId}.{run.NodeId}", new JsonObject
        {
            ["type"] = "graph",
            ["action"] = action,
            ["severity"] = "information",
            ["typeId"] = run.GraphId,
            ["nodeId"] = run.NodeId,
            ["data"] = data,
            ["version"] = "1.0",
            ["createdAt"] = Now(),
        }, cancellationToken);

    private ValueTask PublishProgressAsync(Run run, DemoTask task, CancellationToken cancellationToken)
    {
        var total = run.Definition.Tasks.Count;
        return PublishAsync(EventsExchange, $"graph.progress.updated.information.{run.GraphId}.{run.NodeId}", new JsonObject
        {
            ["type"] = "graph",
            ["action"] = "progress.updated",
            ["severity"] = "information",
            ["typeId"] = run.GraphId,
            ["nodeId"] = run.NodeId,
            ["data"] = new JsonObject
            {
                ["graphId"] = run.GraphId,
                ["graphName"] = run.Definition.Name,
                ["progress"] = Progress(run.CompletedTasks, total, $"Task \"{task.Name}\" finished"),
                ["taskProgress"] = new JsonObject
                {
                    ["taskId"] = run.TaskIds[run.CompletedTasks - 1],
                    ["taskName"] = task.Name,
                    ["progress"] = Progress(100, 100, "Task finished"),
                },
            },
            ["version"] = "1.0",
            ["createdAt"] = Now(),
        }, cancellationToken);
    }

    private ValueTask PublishLogAsync(Run run, string level, string message, DemoTask? task, string caller, CancellationToken cancellationToken)
    {
        var context = new JsonObject
        {
            ["graphId"] = run.GraphId,
            ["graphName"] = run.Definition.Name,
            ["id"] = run.NodeId,
        };
        if (task is not null)
        {
            context["taskId"] = run.TaskIds[run.CompletedTasks - 1];
            context["taskName"] = task.Name;
        }

        return PublishAsync(LoggingExchange, level, new JsonObject
        {
            ["name"] = "on-taskgraph",
            ["host"] = "rackhd-demo",
            ["module"] = task is null ? "TaskGraph.TaskGraph" : "TaskGraph.TaskRunner",
            ["level"] = level,
            ["message"] = message,
            ["context"] = context,
            ["timestamp"] = Now(),
            ["caller"] = caller,
            ["subject"] = "Server",
        }, cancellationToken);
    }

    private ValueTask PublishChangeAsync(string collection, string change, string id, JsonObject record, CancellationToken cancellationToken) =>
        PublishAsync(WaterlineExchange, $"{collection}.{change}.{id}", new JsonObject
        {
            ["event"] = change,
            ["record"] = record.DeepClone(),
        }, cancellationToken);

    private ValueTask PublishAsync(string exchange, string routingKey, JsonObject body, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body.WriteTo(writer);
        }

        return broker.PublishAsync(exchange, routingKey, buffer.WrittenMemory, cancellationToken);
    }

    private static JsonObject Progress(int value, int maximum, string description) => new()
    {
        ["value"] = value,
        ["maximum"] = maximum,
        ["percentage"] = string.Create(CultureInfo.InvariantCulture, $"{value * 100 / maximum}%"),
        ["description"] = description,
    };

    private string Now() => IsoTime.Format(timeProvider.GetUtcNow());

    private sealed record DemoTask(string Label, string Name, string? CatalogSource);

    private sealed record WorkflowDefinition(string Name, string InjectableName, IReadOnlyList<DemoTask> Tasks);

    private sealed class Run(WorkflowDefinition definition, string graphId, int nodeIndex, string nodeId)
    {
        public WorkflowDefinition Definition { get; } = definition;

        public string GraphId { get; } = graphId;

        /// <summary>1-based index of the compute node, as <see cref="SampleData.CatalogFor"/> takes it.</summary>
        public int NodeIndex { get; } = nodeIndex;

        public string NodeId { get; } = nodeId;

        public IReadOnlyList<string> TaskIds { get; } = [.. definition.Tasks.Select(_ => Guid.NewGuid().ToString())];

        public int CompletedTasks { get; set; }

        /// <summary>This run's last task fails (and its transaction and transfer with it).</summary>
        public bool Fails { get; init; }

        public DateTimeOffset StartedAt { get; init; }

        /// <summary>The amount of the run's demo transfer.</summary>
        public decimal Amount { get; init; }
    }
}
