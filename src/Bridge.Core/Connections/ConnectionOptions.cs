using System.ComponentModel.DataAnnotations;

namespace Bridge.Connections;

/// <summary>Limits every WebSocket connection lives under, whatever its protocol (section <c>Bridge:Connections</c>).</summary>
public sealed class ConnectionOptions : IValidatableObject
{
    public const string SectionName = "Bridge:Connections";

    /// <summary>A message larger than this closes the connection with 1009 (message too big).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Frames waiting to be sent to one client. When a client cannot keep up and its queue is full, the
    /// bridge closes that connection (1013, try again later) rather than stall the broker consumer or
    /// silently drop watch events: the client reconnects and resynchronises.
    /// </summary>
    [Range(1, 1_000_000)]
    public int SendQueueCapacity { get; set; } = 4096;

    /// <summary>How often the server pings; a client that does not answer within <see cref="KeepAliveTimeout"/> is closed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a closing connection may take to flush its queue and complete the close handshake.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Origins (<c>https://ui.example.com</c>) besides the bridge's own whose pages may open a WebSocket that
    /// authenticates with HTTP Basic, a credential browsers send by themselves (cross-site WebSocket hijacking,
    /// issue 11 item 7). <c>*</c> allows every origin. Upgrades with a token are not affected.
    /// </summary>
    public List<string> AllowedOrigins { get; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < AllowedOrigins.Count; i++)
        {
            if (AllowedOrigins[i] != "*" && UpgradeOrigins.Normalize(AllowedOrigins[i]) is null)
            {
                yield return new ValidationResult(
                    $"{SectionName}:AllowedOrigins:{i} '{AllowedOrigins[i]}' is not an origin (scheme://host[:port], no path) or '*'.",
                    [nameof(AllowedOrigins)]);
            }
        }
    }
}
