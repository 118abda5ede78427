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
    private const int AllocationMessages = 1000;
    private const int ManyRecipients = 16;

    // Per extra delivery, on top of what the same rig allocates with telemetry off: what a process does besides the
    // rounds (timers, the test's own polling) stays far below it over 15 000 extra deliveries, while a single object
    // per delivery is 24 bytes or more.
    private const double AllowedExtraBytesPerDelivery = 8;

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
    [InlineData("embedded")]
    [InlineData("rabbitmq")]
    public async Task FanOut_WithMetricsAndTracingOn_AllocatesNothingPerRecipient(string broker)
    {
        var off = await BytesPerExtraDeliveryAsync(broker, telemetry: false);
        var on = await BytesPerExtraDeliveryAsync(broker, telemetry: true);

        Assert.True(on <= off + AllowedExtraBytesPerDelivery,
            $"with metrics and tracing on, each delivery beyond the first recipient's allocated {on:F1} bytes; with them off {off:F1}");
    }

    private static async Task<IReadOnlyDictionary<string, int>> CountSpansAsync(FanOutRig rig, SpanCounter spans)
    {
        await rig.RoundAsync(Messages);
        spans.Reset();
        await rig.RoundAsync(Messages);
        return spans.Started;
    }

    /// <summary>(bytes allocated for a round to many) − (for a round to one), per extra delivery.</summary>
    private static async Task<double> BytesPerExtraDeliveryAsync(string broker, bool telemetry)
    {
        await using var rig = await FanOutRig.StartAsync(broker, metrics: telemetry, tracing: telemetry);
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
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await rig.RoundAsync(AllocationMessages);
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }
}
