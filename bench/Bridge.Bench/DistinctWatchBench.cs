using System.Diagnostics;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;

namespace Bridge.Bench;

/// <summary>
/// Issue 17 §1: N clients each watching their own node, messages published round robin over the N nodes (one
/// recipient each). Measures deliveries/s and the CPU per published message of the bridge and of its RabbitMQ
/// node, beside Web-STOMP (one subscription per client with the same key) and, given --baseline-bridge, beside
/// the bridge built before the change, all in the same run on the same node.
/// </summary>
internal static class DistinctWatchBench
{
    /// <summary>The system name of the rows published at <c>--distinct-rate</c> instead of as fast as possible.</summary>
    public static string Paced(string system, double rate) => string.Create(CultureInfo.InvariantCulture, $"{system} @ {rate:0}/s");

    /// <summary>The system name of the rows measured with <see cref="WithoutHistoryArguments"/>.</summary>
    public const string WithoutHistory = "bridge, no history";

    // By default every channel exchange is retained in a recovery stream, which RabbitMQ fills as it routes each
    // message: history kept only for an exchange the scenario never publishes to shows what that costs the node.
    private static readonly string[] WithoutHistoryArguments = ["--Bridge:Recovery:Exchanges:0=on.test"];

    public static async Task RunAsync(BenchRunner.RunContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        await using var session = await AmqpSession.OpenAsync(context.Node.AmqpUri, "bridge-bench-distinct", cancellationToken);
        foreach (var exchange in new[] { DistinctWatchFleet.LoggingExchange, DistinctWatchFleet.WaterlineExchange })
        {
            // Declared as the bridge declares them, so that Web-STOMP finds them too.
            await session.Channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        }

        var nodePid = await context.Node.GetVmPidAsync(cancellationToken);
        foreach (var variant in new[] { DistinctWatchVariant.Mq, DistinctWatchVariant.Catalogs })
        {
            foreach (var watches in options.DistinctWatches)
            {
                if (options.Systems.Contains(SystemKind.Bridge))
                {
                    await MeasureBridgeAsync(context, session, "bridge", context.BridgeDll, [], variant, watches, nodePid, cancellationToken);
                    if (options.DistinctWithoutHistory)
                    {
                        await DeleteRecoveryStreamsAsync(session, cancellationToken);
                        await MeasureBridgeAsync(context, session, WithoutHistory, context.BridgeDll, WithoutHistoryArguments, variant, watches, nodePid, cancellationToken);
                    }

                    if (options.BaselineBridgePath is { } baseline)
                    {
                        await MeasureBridgeAsync(context, session, "bridge before", baseline, [], variant, watches, nodePid, cancellationToken);
                    }
                }

                // STOMP cannot filter on a body field: the Web-STOMP peer is the mq variant's (same routing keys).
                if (variant == DistinctWatchVariant.Mq && options.Systems.Contains(SystemKind.WebStomp))
                {
                    var result = new DistinctWatchResult("webstomp", variant, watches, options.DistinctMessages);
                    await using var fleet = await ConnectAsync(true, variant, context.Node.WebStompEndpoint, watches, cancellationToken);
                    await MeasureAsync(context, fleet, session, result, bridgePid: null, nodePid, cancellationToken);
                    context.Results.DistinctWatches.Add(result);
                }
            }
        }
    }

    private static async Task MeasureBridgeAsync(
        BenchRunner.RunContext context, AmqpSession session, string system, string bridgeDll, IEnumerable<string> arguments,
        DistinctWatchVariant variant, int watches, int nodePid, CancellationToken cancellationToken)
    {
        var result = new DistinctWatchResult(system, variant, watches, context.Options.DistinctMessages);
        await using var bridge = await BenchRunner.StartBridgeAsync(context with { BridgeDll = bridgeDll }, arguments, cancellationToken);
        await using var fleet = await ConnectAsync(false, variant, bridge.Endpoint, watches, cancellationToken);
        await MeasureAsync(context, fleet, session, result, bridge.Process!.Pid, nodePid, cancellationToken);
        context.Results.DistinctWatches.Add(result);
    }

    /// <summary>
    /// The streams the bridge before declared stay bound to their exchanges when it stops, and RabbitMQ would go on
    /// filling them: a bridge that keeps no history must find none (the next bridge that retains them declares them again).
    /// </summary>
    private static async Task DeleteRecoveryStreamsAsync(AmqpSession session, CancellationToken cancellationToken)
    {
        foreach (var exchange in new[] { DistinctWatchFleet.LoggingExchange, DistinctWatchFleet.WaterlineExchange })
        {
            await session.Channel.QueueDeleteAsync(Bridge.Broker.Recovery.RabbitMqRecoveryLog.StreamName(exchange), cancellationToken: cancellationToken);
        }
    }

    private static async Task<DistinctWatchFleet> ConnectAsync(bool webStomp, DistinctWatchVariant variant, Uri endpoint, int watches, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var fleet = await DistinctWatchFleet.ConnectAsync(webStomp, variant, endpoint, watches, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(webStomp ? "webstomp" : "bridge")}: {watches} distinct {variant} watches: ready in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
        return fleet;
    }

    /// <summary>
    /// Warms the server up, then the repetitions as fast as the publisher goes; given <c>--distinct-rate</c>, then the
    /// same number again at that rate on the same clients, recorded as their own rows (<see cref="Paced"/>).
    /// </summary>
    private static async Task MeasureAsync(
        BenchRunner.RunContext context, DistinctWatchFleet fleet, AmqpSession session, DistinctWatchResult result, int? bridgePid, int nodePid, CancellationToken cancellationToken)
    {
        var options = context.Options;

        // Warm-up: JIT, the queues' processes, every client's first frame. Whole untimed runs until the server's CPU per
        // message is steady (ServerWarmup): with 200 messages, and then with one run, the first timed runs carried the
        // fresh bridge's tier-1 compilation.
        var warmUp = await ServerWarmup.UntilSteadyAsync(
            bridgePid ?? nodePid,
            options.Quick,
            async () => (await RunOnceAsync(fleet, session, result.Variant, Math.Max(result.Messages, 2 * fleet.Count), rate: 0, cancellationToken)).Received,
            cancellationToken);
        Console.WriteLine($"  distinct {result.Variant,-8} {result.System,-13} N={result.Watches,5}: warm-up runs, CPU µs/message: {ServerWarmup.Describe(warmUp)}");
        await RepeatAsync(fleet, session, result, bridgePid, nodePid, options.Repetitions, rate: 0, cancellationToken);

        if (options.DistinctRate > 0)
        {
            // The same clients and server, at a rate every N sustains: the rows above run as fast as the publisher and
            // the node go, so a larger N (more bindings on the node) also means a lower rate, and fewer messages per
            // wake-up in the bridge. At one rate for all N, what changes between the rows is N alone.
            var paced = new DistinctWatchResult(Paced(result.System, options.DistinctRate), result.Variant, result.Watches, result.Messages)
            {
                PublishRate = options.DistinctRate,
            };
            await ServerWarmup.SettleAsync(bridgePid ?? nodePid, options.Quick, cancellationToken);
            await RepeatAsync(fleet, session, paced, bridgePid, nodePid, options.Repetitions, options.DistinctRate, cancellationToken);
            context.Results.DistinctWatches.Add(paced);
        }
    }

    private static async Task RepeatAsync(
        DistinctWatchFleet fleet, AmqpSession session, DistinctWatchResult result, int? bridgePid, int nodePid, int repetitions, double rate, CancellationToken cancellationToken)
    {
        for (var rep = 0; rep < repetitions; rep++)
        {
            var load = BenchRunner.LoadAverage();
            var bridgeBefore = bridgePid is { } b ? ChildProcess.CpuSecondsOf(b) : double.NaN;
            var nodeBefore = ChildProcess.CpuSecondsOf(nodePid);
            var run = await RunOnceAsync(fleet, session, result.Variant, result.Messages, rate, cancellationToken);
            var bridgeCpu = bridgePid is { } p ? (ChildProcess.CpuSecondsOf(p) - bridgeBefore) * 1e6 / result.Messages : double.NaN;
            var nodeCpu = (ChildProcess.CpuSecondsOf(nodePid) - nodeBefore) * 1e6 / result.Messages;
            result.Rates.Add(run.DeliveriesPerSecond);
            result.Delivered.Add(run.Received);
            result.Misrouted.Add(run.Misrouted);
            result.BridgeCpuMicrosPerMessage.Add(bridgeCpu);
            result.NodeCpuMicrosPerMessage.Add(nodeCpu);
            result.Load.Add(load);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  distinct {result.Variant,-8} {result.System,-13} N={result.Watches,5}: {run.DeliveriesPerSecond,9:N0} deliveries/s ({run.Received}/{run.Expected}, misrouted {run.Misrouted}); CPU µs/message: bridge {bridgeCpu:F1}, node {nodeCpu:F1}; load {load}"));
        }
    }

    private static async Task<DistinctWatchFleet.Counter> RunOnceAsync(
        DistinctWatchFleet fleet, AmqpSession session, DistinctWatchVariant variant, int messages, double rate, CancellationToken cancellationToken)
    {
        var run = fleet.Begin(messages);
        try
        {
            await PublishAsync(session, variant, fleet.Count, messages, rate, cancellationToken);
            var allowed = TimeSpan.FromSeconds(30 + (messages / 2000.0));
            await run.Completed.WaitAsync(allowed, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return run;
        }
        finally
        {
            fleet.End();
            if (run.Received < run.Expected)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Message <c>seq</c> goes to node <c>seq % N</c>: a log line on its key, or a catalog of that node. As fast as
    /// the channel takes them (rate 0) or at <paramref name="rate"/> messages per second.
    /// </summary>
    private static async Task PublishAsync(AmqpSession session, DistinctWatchVariant variant, int nodes, int messages, double rate, CancellationToken cancellationToken)
    {
        var template = PayloadFormat.Template(200);
        var properties = new BasicProperties();
        var started = Stopwatch.GetTimestamp();
        for (var seq = 0; seq < messages; seq++)
        {
            if (rate > 0)
            {
                await Pacing.WaitForSlotAsync(started, seq, rate, cancellationToken);
            }

            var node = DistinctWatchFleet.NodeName(seq % nodes);
            byte[] body;
            string exchange;
            string routingKey;
            if (variant == DistinctWatchVariant.Mq)
            {
                body = (byte[])template.Clone();
                PayloadFormat.Stamp(body, 0, seq, Stopwatch.GetTimestamp());
                (exchange, routingKey) = (DistinctWatchFleet.LoggingExchange, node + ".log.info");
            }
            else
            {
                // RackHD's Waterline message: {"event","record"}; the record starts with the bench's payload object.
                var prefix = Encoding.UTF8.GetBytes("{\"event\":\"created\",\"record\":");
                var suffix = Encoding.UTF8.GetBytes($",\"node\":\"{node}\"}}}}");
                body = [.. prefix, .. template.AsSpan(0, template.Length - 1), .. suffix];
                PayloadFormat.Stamp(body, prefix.Length, seq, Stopwatch.GetTimestamp());
                (exchange, routingKey) = (DistinctWatchFleet.WaterlineExchange, "catalogs.created." + seq.ToString(CultureInfo.InvariantCulture));
            }

            await session.Channel.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body, cancellationToken);
        }
    }
}
