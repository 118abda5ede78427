using System.ComponentModel.DataAnnotations;

namespace Bridge.Broker.Recovery;

/// <summary>
/// Settings under <c>Bridge:Recovery</c> (issue 16 §1): how long and how much of each retained exchange's
/// traffic is kept so that a reconnecting watch with <c>"since"</c> gets what it missed.
/// </summary>
public sealed class RecoveryOptions
{
    public const string SectionName = "Bridge:Recovery";

    /// <summary>How long a message stays replayable (<c>x-max-age</c> of the stream on RabbitMQ).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Bridge:Recovery:MaxAge must be between {1} and {2}.")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most bytes kept per exchange (<c>x-max-length-bytes</c> on RabbitMQ; message bodies in memory on the embedded broker).</summary>
    [Range(1024L, long.MaxValue, ErrorMessage = "Bridge:Recovery:MaxBytes must be at least {1}.")]
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The exchanges whose traffic is retained; empty means the channel exchanges (the <c>mq</c> allow-list, the
    /// resources' exchanges and the notifications exchange).
    /// </summary>
    public IList<string> Exchanges { get; } = [];

    /// <summary>Live frames a recovering watch may hold while its replay catches up; past that the connection is let go, as a slow consumer is.</summary>
    [Range(16, 10_000_000, ErrorMessage = "Bridge:Recovery:MaxHeldFrames must be between {1} and {2}.")]
    public int MaxHeldFrames { get; set; } = 100_000;
}
