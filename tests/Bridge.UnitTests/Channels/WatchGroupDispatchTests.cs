using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bridge.Auth;
using Bridge.Broker;
using Bridge.Channels;
using Bridge.Connections;
using Bridge.Documents;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Observability;
using Bridge.UnitTests.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.UnitTests.Channels;

/// <summary>
/// Where a watch group's frames are written (issue 17): a one-member group writes on the dispatching thread, a group
/// of several queues to each member's send loop; a group whose filter is one string equality is answered by its
/// <see cref="EqualityFilterIndex"/> and encodes on the dispatching thread, while any other filter keeps its loop.
/// </summary>
public sealed class WatchGroupDispatchTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly WatchSource Catalogs = new("on.waterline", "catalogs.#", WatchFormat.Waterline);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly BridgeMetrics _metrics;
    private readonly List<(ScriptedWebSocket Socket, Task Run)> _connections = [];

    public WatchGroupDispatchTests() => _metrics = new BridgeMetrics(_services.GetRequiredService<IMeterFactory>());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (socket, run) in _connections)
        {
            socket.CloseFromClient();
            await run.WaitAsync(Bound);
        }

        await _services.DisposeAsync();
    }

    [Fact]
    public void AOneMemberGroup_WritesOnTheDispatchingThread()
    {
        var group = new WatchGroup(MqSpec("node-1.#"), _metrics.Channels, NullLogger.Instance);
        var (connection, socket) = Connection();
        group.Add(connection);

        var thread = Dispatch(() => group.OnDelivery(new BrokerDelivery("on.logging", "node-1.log", Encoding.UTF8.GetBytes("""{"message":"hi"}"""))));

        Assert.Equal([thread], socket.SendThreads);
        Assert.Contains("hi", Encoding.UTF8.GetString(socket.Sends.Single()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGroupOfSeveral_QueuesToEachMember_NoneOnTheDispatchingThread()
    {
        var group = new WatchGroup(MqSpec("#"), _metrics.Channels, NullLogger.Instance);
        var members = Enumerable.Range(0, 3).Select(_ => Connection()).ToArray();
        foreach (var (connection, _) in members)
        {
            group.Add(connection);
        }

        var thread = Dispatch(() => group.OnDelivery(new BrokerDelivery("on.logging", "node-1.log", Encoding.UTF8.GetBytes("""{"message":"hi"}"""))));

        await WaitUntil.TrueAsync(() => members.All(member => member.Socket.Sends.Count == 1), "every member to get the frame");
        Assert.All(members, member => Assert.DoesNotContain(thread, member.Socket.SendThreads));
    }

    [Fact]
    public void AnEqualityAnsweredByTheIndex_IsEncodedAndWrittenOnTheDispatchingThread_OnlyForItsValue()
    {
        var spec = CatalogsSpec("""{"node":"n1"}""");
        Assert.True(spec.Filter.IsSingleStringEquality);
        var (_, index, socket) = OneMemberOnNodeN1(spec);

        var thread = Dispatch(
            () => index.OnDelivery(CatalogChange("c1", "n1")),
            () => index.OnDelivery(CatalogChange("c2", "n2")),
            () => index.OnDelivery(CatalogChange("c3", "n1")));

        // Both frames went out before the dispatch returned, on its thread: no filter loop in between, and in order.
        var frames = socket.Sends.Select(Encoding.UTF8.GetString).ToArray();
        Assert.Equal(2, frames.Length);
        Assert.Contains("\"c1\"", frames[0], StringComparison.Ordinal);
        Assert.Contains("\"c3\"", frames[1], StringComparison.Ordinal);
        Assert.Equal([thread, thread], socket.SendThreads);
    }

    [Fact]
    public async Task AFilterWithMoreThanTheEquality_KeepsItsLoop_AndIsStillEvaluated()
    {
        var spec = CatalogsSpec("""{"node":"n1","source":{"$regex":"^dmi"}}""");
        Assert.False(spec.Filter.IsSingleStringEquality);
        var (group, index, socket) = OneMemberOnNodeN1(spec);

        var thread = Dispatch(
            () => index.OnDelivery(CatalogChange("c1", "n1", source: "ohai")),
            () => index.OnDelivery(CatalogChange("c2", "n1", source: "dmi")));

        await WaitUntil.TrueAsync(() => !socket.Sends.IsEmpty, "the matching change to go out");
        await group.CompleteAsync().WaitAsync(Bound);
        var frame = Encoding.UTF8.GetString(Assert.Single(socket.Sends));
        Assert.Contains("\"c2\"", frame, StringComparison.Ordinal);
        Assert.DoesNotContain(thread, socket.SendThreads);
    }

    [Fact]
    public void AnAnsweredGroup_FedOtherwiseThanByItsIndex_StillEvaluatesItsFilter()
    {
        var group = new WatchGroup(CatalogsSpec("""{"node":"n1"}"""), _metrics.Channels, NullLogger.Instance, filterAnsweredBySource: true);
        var (connection, socket) = Connection();
        group.Add(connection);

        Dispatch(
            () => group.OnDelivery(CatalogChange("c1", "n2")),
            () => group.OnDelivery(CatalogChange("c2", "n1")));

        Assert.Contains("\"c2\"", Encoding.UTF8.GetString(Assert.Single(socket.Sends)), StringComparison.Ordinal);
    }

    private static WatchSpec MqSpec(string routingKey) =>
        new(new ResourceDefinition(ResourceDefinition.Mq, null, "id", null), routingKey, new WatchSource("on.logging", routingKey, WatchFormat.Raw), Filter.Empty);

    private static WatchSpec CatalogsSpec(string filter) =>
        new(new ResourceDefinition("catalogs", "catalogs", "id", Catalogs), filter, Catalogs, FilterParser.ParseFilter(JsonNode.Parse(filter), new FilterLimits()));

    private static BrokerDelivery CatalogChange(string id, string node, string source = "dmi") =>
        new("on.waterline", $"catalogs.updated.{id}", Encoding.UTF8.GetBytes($$$"""{"event":"updated","record":{"id":"{{{id}}}","node":"{{{node}}}","source":"{{{source}}}"}}"""));

    // The broker's dispatch thread: a thread of its own, with the allowance SubscriptionIndex.Dispatch grants per message.
    private static int Dispatch(params Action[] deliveries)
    {
        var id = 0;
        var thread = new Thread(() =>
        {
            id = Environment.CurrentManagedThreadId;
            foreach (var delivery in deliveries)
            {
                using (InlineSendAllowance.Grant(1))
                {
                    delivery();
                }
            }
        });
        thread.Start();
        Assert.True(thread.Join(Bound), "the dispatch did not return");
        return id;
    }

    /// <summary>A group answered by an equality index on <c>node = n1</c>, with one member; the group, the index and the member's socket.</summary>
    private (WatchGroup Group, EqualityFilterIndex Index, ScriptedWebSocket Socket) OneMemberOnNodeN1(WatchSpec spec)
    {
        var group = new WatchGroup(spec, _metrics.Channels, NullLogger.Instance, filterAnsweredBySource: true);
        var index = new EqualityFilterIndex("catalogs", Catalogs, NullLogger.Instance);
        index.Add("node", "n1", group);
        var (connection, socket) = Connection();
        group.Add(connection);
        return (group, index, socket);
    }

    private (WebSocketConnection Connection, ScriptedWebSocket Socket) Connection()
    {
        var socket = new ScriptedWebSocket();
        var connection = new WebSocketConnection(socket, "/test", Caller.Anonymous, new ConnectionOptions { CloseTimeout = TimeSpan.FromSeconds(2) },
            _metrics.Channels, NullLogger.Instance);
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            _connections.Add((socket, connection.RunAsync(new IgnoringHandler(), CancellationToken.None, CancellationToken.None)));
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        return (connection, socket);
    }

    private sealed class IgnoringHandler : IConnectionHandler
    {
        public ValueTask HandleMessageAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
