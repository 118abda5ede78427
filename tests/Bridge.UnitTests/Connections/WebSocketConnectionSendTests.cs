using System.Text;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

using static Bridge.UnitTests.Connections.ConnectionRig;

namespace Bridge.UnitTests.Connections;

/// <summary>
/// The send queue's guarantees, seen from the socket (issue 17): a send that cannot complete (a client that stopped
/// reading) never holds the thread that queues, what is queued behind it keeps its order, and the queue's bound still
/// closes the slow consumer.
/// </summary>
public sealed class WebSocketConnectionSendTests : IDisposable
{
    private readonly ConnectionRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task ASendThatCannotComplete_HandsTheQueuingThreadBack_AndTheFramesBehindItGoOutInOrder()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var socket = new ScriptedWebSocket { HoldSends = held };
        var connection = _rig.Connection(socket, capacity: 16);
        var run = Run(connection);

        Assert.True(connection.TrySend(Frame("a")));
        await WaitUntil.TrueAsync(() => socket.Sends.Count == 1, "the first send to start");

        // A thread of its own, as the broker's dispatch thread is: it must come back while the first send is held.
        var thread = new Thread(() =>
        {
            Assert.True(connection.TrySend(Frame("b")));
            Assert.True(connection.TrySend(Frame("c")));
        });
        thread.Start();
        Assert.True(thread.Join(Bound), "TrySend waited on a send that cannot complete");

        // The first send is in progress (held); the two behind it wait in the queue.
        Assert.Single(socket.Sends);
        Assert.Equal(2, connection.QueuedFrames);

        socket.HoldSends = null;
        held.SetResult();
        await WaitUntil.TrueAsync(() => socket.Sends.Count == 3, "the two queued frames to go out");
        Assert.Equal(["a", "b", "c"], socket.Sends.Select(Encoding.UTF8.GetString));

        socket.CloseFromClient();
        await run.WaitAsync(Bound);
    }

    [Fact]
    public async Task BehindASendThatCannotComplete_AFullQueueStillClosesTheSlowConsumer_WithoutWaiting()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var socket = new ScriptedWebSocket { HoldSends = held };
        var connection = _rig.Connection(socket, capacity: 2);
        var run = Run(connection);

        Assert.True(connection.TrySend(Frame("frame 0")));
        await WaitUntil.TrueAsync(() => socket.Sends.Count == 1, "the first send to start");
        var accepted = new List<bool>();
        var thread = new Thread(() =>
        {
            for (var i = 1; i < 4; i++)
            {
                accepted.Add(connection.TrySend(Frame($"frame {i}")));
            }
        });
        thread.Start();
        Assert.True(thread.Join(Bound), "TrySend waited on a slow consumer");

        // One frame in the (held) send, two in the queue, the fourth finds it full: the slow-consumer policy.
        Assert.Equal([true, true, false], accepted);

        held.SetResult();
        await run.WaitAsync(Bound);
    }
}
