using Bridge.Observability;

namespace Bridge.IntegrationTests.Observability;

/// <summary>
/// Issue 15: metrics and tracing add nothing per recipient to a fan-out. Counted, not timed: the spans started and
/// the bytes the process allocates while a round of messages reaches one watcher, then many. Runs in the metrics
/// collection (alone, after the parallel tests), because both counts are the whole process's.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class TelemetryHotPathTests
{
    private const int Messages = 300;
    private const int AllocationMessages = 3000;
    private const int ManyRecipients = 16;

    // Per extra delivery, on top of what the same rig allocates with telemetry off. A single object per delivery is
    // 24 bytes or more, so a bound of 16 catches one; what else the process allocates meanwhile (the broker client's
    // timers, the test host) moved the measured figure by up to 10 bytes per delivery over 15 000 at first, hence
    // 45 000 extra deliveries per round and the least of three rounds. The helper measured 12-17 bytes more with
    // tracing on RabbitMQ over fewer rounds (docs/benchmarks.md): not an object each, not nothing either.
    private const double AllowedExtraBytesPerDelivery = 16;

    [Theory]
    [InlineData("embedded")]
    [InlineData("rabbitmq")]
    public async Task FanOut_WithMetricsAndTracingOn_StartsTheSameSpansForManyRecipientsAsForOne(string broker)
    {
        await using var rig = await FanOutRig.StartAsync(broker, metrics: true, tracing: true);
        using var spans = new SpanCounter();

        await rig.AddRecipientsAsync(1);
        var one = await CountSpansAsync(rig, spans);
        await rig.AddRecipientsAsync(ManyRecipients - 1);
        var many = await CountSpansAsync(rig, spans);

        Assert.Equal(one, many);
        Assert.Equal(Messages, one.GetValueOrDefault($"{BridgeTracing.SourceName}: process {FanOutRig.Exchange}"));
        Assert.All(one, span => Assert.True(span.Value <= Messages, $"{span.Key}: {span.Value} spans for {Messages} messages"));
    }

    [Theory]
    [InlineData("embedded", false)]
    [InlineData("rabbitmq", false)]
    [InlineData("embedded", true)]
    [InlineData("rabbitmq", true)]
    public async Task FanOut_WithTelemetryOn_AllocatesNoObjectPerRecipient(string broker, bool tracing)
    {
        var off = await BytesPerExtraDeliveryAsync(broker, metrics: false, tracing: false);
        var on = await BytesPerExtraDeliveryAsync(broker, metrics: true, tracing: tracing);

        Assert.True(on <= off + AllowedExtraBytesPerDelivery,
            $"with metrics{(tracing ? " and tracing" : "")} on, each delivery beyond the first recipient's allocated {on:F1} bytes; with telemetry off {off:F1}");
    }

    private static async Task<IReadOnlyDictionary<string, int>> CountSpansAsync(FanOutRig rig, SpanCounter spans)
    {
        await rig.RoundAsync(Messages);
        spans.Reset();
        await rig.RoundAsync(Messages);
        return spans.Started;
    }

    /// <summary>(bytes allocated for a round to many) − (for a round to one), per extra delivery.</summary>
    private static async Task<double> BytesPerExtraDeliveryAsync(string broker, bool metrics, bool tracing)
    {
        await using var rig = await FanOutRig.StartAsync(broker, metrics, tracing);
        await rig.AddRecipientsAsync(1);
        var one = await AllocatedDuringRoundAsync(rig);
        await rig.AddRecipientsAsync(ManyRecipients - 1);
        var many = await AllocatedDuringRoundAsync(rig);
        return (many - one) / ((double)AllocationMessages * (ManyRecipients - 1));
    }

    private static async Task<long> AllocatedDuringRoundAsync(FanOutRig rig)
    {
        // Warm: the first rounds compile the path and grow the queues and pools to their working size.
        await rig.RoundAsync(AllocationMessages);
        await rig.RoundAsync(AllocationMessages);

        // The least of three rounds: what else the process allocates meanwhile (the broker client's timers, the
        // test host) only ever adds to a round, and one such burst moved a single round by half a megabyte.
        var least = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await rig.RoundAsync(AllocationMessages);
            least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        return least;
    }
}
