using System.Text;
using Bridge.Connections;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

using static Bridge.UnitTests.Connections.ConnectionRig;

namespace Bridge.UnitTests.Connections;

/// <summary>
/// The inline send (issue 17): a frame for one recipient, queued with <c>preferInline</c> to an idle connection by a
/// thread with an <see cref="InlineSendAllowance"/>, is written on that thread; everything else is written by the send
/// loop on a worker, as before. Order, the one sender and the bound hold whichever way a frame goes, and a client
/// that stopped reading never holds the queuing thread.
/// </summary>
public sealed class WebSocketConnectionInlineSendTests : IDisposable
{
    private readonly ConnectionRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task AFrameForOneRecipient_ToAnIdleConnection_IsWrittenOnTheQueuingThread()
    {
        var socket = new ScriptedWebSocket();
        var connection = _rig.Connection(socket, capacity: 16);
        var run = Run(connection);

        var (thread, sentBeforeReturn) = OnThreadOfItsOwn(() =>
        {
            using (InlineSendAllowance.Grant(1))
            {
                Assert.True(connection.TrySend(Frame("a"), preferInline: true));
            }

            return socket.Sends.Count;
        });

        Assert.Equal(1, sentBeforeReturn);
        Assert.Equal([thread], socket.SendThreads);
        await StopAsync(socket, run);
    }

    [Fact]
    public async Task WithoutAnAllowance_OrWithoutAskingForIt_AFrameIsWrittenByTheSendLoop()
    {
        var socket = new ScriptedWebSocket();
        var connection = _rig.Connection(socket, capacity: 16);
        var run = Run(connection);

        var (thread, _) = OnThreadOfItsOwn(() =>
        {
            // No grant on this thread: a request's or a timer's frame.
            Assert.True(connection.TrySend(Frame("a"), preferInline: true));
            return 0;
        });
        await WaitUntil.TrueAsync(() => socket.Sends.Count == 1, "the first frame to go out");
        await WaitUntil.TrueAsync(() => connection.QueuedFrames == 0, "the loop to drain");

        var (secondThread, _) = OnThreadOfItsOwn(() =>
        {
            using (InlineSendAllowance.Grant(1))
            {
                Assert.True(connection.TrySend(Frame("b")));
            }

            return 0;
        });
        await WaitUntil.TrueAsync(() => socket.Sends.Count == 2, "the second frame to go out");

        Assert.DoesNotContain(thread, socket.SendThreads);
        Assert.DoesNotContain(secondThread, socket.SendThreads);
        await StopAsync(socket, run);
    }

    [Fact]
    public async Task AnAllowanceOfOne_WritesOneFrameInline_AndQueuesTheOtherRecipients()
    {
        var sockets = Enumerable.Range(0, 3).Select(_ => new ScriptedWebSocket()).ToArray();
        var connections = sockets.Select(s => _rig.Connection(s, capacity: 16)).ToArray();
        var runs = connections.Select(c => Run(c)).ToArray();

        // Three single-member watches matching one message: the dispatch writes the first only.
        var (thread, sentInline) = OnThreadOfItsOwn(() =>
        {
            using (InlineSendAllowance.Grant(1))
            {
                foreach (var connection in connections)
                {
                    Assert.True(connection.TrySend(Frame("m"), preferInline: true));
                }
            }

            return sockets.Count(socket => socket.SendThreads.Contains(Environment.CurrentManagedThreadId));
        });

        await WaitUntil.TrueAsync(() => sockets.All(socket => socket.Sends.Count == 1), "every recipient to get the message");
        Assert.Equal(1, sentInline);
        Assert.Equal([thread], sockets[0].SendThreads);
        Assert.DoesNotContain(thread, sockets[1].SendThreads);
        Assert.DoesNotContain(thread, sockets[2].SendThreads);
        for (var i = 0; i < sockets.Length; i++)
        {
            await StopAsync(sockets[i], runs[i]);
        }
    }

    [Fact]
    public async Task AStalledClient_GivesTheInlineSenderItsThreadBack_AndTheFramesBehindItKeepTheirOrder()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var socket = new ScriptedWebSocket { HoldSends = held };
        var connection = _rig.Connection(socket, capacity: 16);
        var run = Run(connection);

        // The dispatch thread: its inline write cannot complete (Kestrel's output is full), so it must come back at once,
        // and what it queues next waits behind the held send instead of being written beside it.
        var (thread, queuedBehind) = OnThreadOfItsOwn(() =>
        {
            foreach (var text in new[] { "a", "b", "c" })
            {
                using (InlineSendAllowance.Grant(1))
                {
                    Assert.True(connection.TrySend(Frame(text), preferInline: true));
                }
            }

            return connection.QueuedFrames;
        });

        Assert.Single(socket.Sends);
        Assert.Equal(2, queuedBehind);
        Assert.Equal([thread], socket.SendThreads);

        socket.HoldSends = null;
        held.SetResult();
        await WaitUntil.TrueAsync(() => socket.Sends.Count == 3, "the frames behind the held send to go out");
        Assert.Equal(["a", "b", "c"], socket.Sends.Select(Encoding.UTF8.GetString));
        Assert.DoesNotContain(thread, socket.SendThreads.Skip(1));
        await StopAsync(socket, run);
    }

    [Fact]
    public async Task InlineAndQueuedFrames_FromSeveralThreads_KeepEachThreadsOrder_AndOneSenderAtATime()
    {
        const int PerThread = 2_000;
        var socket = new ScriptedWebSocket();
        var connection = _rig.Connection(socket, capacity: 4 * PerThread);
        var run = Run(connection);

        // Two "dispatchers" asking for inline sends (one grant per frame, as per message) and a third that queues only,
        // all at once: frames of one thread must arrive in that thread's order, none lost, none doubled.
        var threads = Enumerable.Range(0, 3).Select(t => new Thread(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                using (InlineSendAllowance.Grant(t < 2 ? 1 : 0))
                {
                    Assert.True(connection.TrySend(Frame($"{t}:{i}"), preferInline: t < 2 && i % 3 != 0));
                }
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            Assert.True(thread.Join(Bound), "a sender did not finish");
        }

        await WaitUntil.TrueAsync(() => socket.Sends.Count == 3 * PerThread, "every frame to go out");
        var received = socket.Sends.Select(Encoding.UTF8.GetString).Select(text => text.Split(':')).ToArray();
        for (var t = 0; t < 3; t++)
        {
            var ofThread = received.Where(parts => parts[0] == $"{t}").Select(parts => int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Enumerable.Range(0, PerThread), ofThread);
        }

        Assert.Equal(0, socket.ConcurrentSendsSeen);
        await StopAsync(socket, run);
    }

    [Fact]
    public async Task AnInlineSend_StillClosesASlowConsumerWhenTheQueueIsFull()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var socket = new ScriptedWebSocket { HoldSends = held };
        var connection = _rig.Connection(socket, capacity: 2);
        var run = Run(connection);

        var (_, accepted) = OnThreadOfItsOwn(() =>
        {
            var results = new List<bool>();
            for (var i = 0; i < 4; i++)
            {
                using (InlineSendAllowance.Grant(1))
                {
                    results.Add(connection.TrySend(Frame($"frame {i}"), preferInline: true));
                }
            }

            return results;
        });

        // One frame in the held inline send, two queued, the fourth finds the queue full: the slow-consumer policy.
        Assert.Equal([true, true, true, false], accepted);
        held.SetResult();
        await run.WaitAsync(Bound);
    }


    // A thread of its own, as the broker's dispatch thread is, with no synchronization context; returns its id and
    // what the work returned, once it is done (within the bound: it must never wait on the client).
    private static (int Thread, T Result) OnThreadOfItsOwn<T>(Func<T> work)
    {
        var result = default(T)!;
        var id = 0;
        var thread = new Thread(() =>
        {
            id = Environment.CurrentManagedThreadId;
            result = work();
        });
        thread.Start();
        Assert.True(thread.Join(Bound), "the queuing thread waited on the client");
        return (id, result);
    }

    private static async Task StopAsync(ScriptedWebSocket socket, Task run)
    {
        socket.CloseFromClient();
        await run.WaitAsync(Bound);
    }
}
