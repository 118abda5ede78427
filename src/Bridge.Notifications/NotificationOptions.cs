using System.ComponentModel.DataAnnotations;

namespace Bridge.Notifications;

/// <summary>Operator notifications (section <c>Bridge:Notifications</c>), see docs/notifications.md.</summary>
internal sealed class NotificationOptions
{
    public const string SectionName = "Bridge:Notifications";

    /// <summary>The topic exchange producers publish <c>webhook_tx[.&lt;sub_type&gt;]</c> messages to.</summary>
    [Required]
    public string Exchange { get; set; } = "notifications";

    /// <summary>The durable queue, shared by every bridge instance, that feeds the history (each message stored once).</summary>
    [Required]
    public string HistoryQueue { get; set; } = "bridge.notifications.history";

    /// <summary>How long the history keeps a message (a TTL index on its <c>storedAt</c>).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Page size when a history request names none.</summary>
    [Range(1, 10_000)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Largest page a history request may ask for; larger limits are lowered to it.</summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 500;
}
