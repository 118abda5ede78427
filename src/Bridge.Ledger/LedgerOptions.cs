using System.ComponentModel.DataAnnotations;

namespace Bridge.Ledger;

/// <summary>
/// The ledger front (section <c>Bridge:Ledger</c>): what <c>GET /</c> tells five-bells clients about the ledger,
/// and where ledger events come from. The values describe the upstream ledger the bridge fronts.
/// </summary>
internal sealed class LedgerOptions
{
    public const string SectionName = "Bridge:Ledger";

    /// <summary>The five-bells names of the REST URLs in <c>GET /</c> (all but <c>websocket</c> may be overridden).</summary>
    public static readonly IReadOnlyList<string> UrlNames =
        ["health", "transfer", "transfer_fulfillment", "transfer_rejection", "transfer_state", "accounts", "account", "auth_token", "message"];

    [Required]
    public string CurrencyCode { get; set; } = "USD";

    public string CurrencySymbol { get; set; } = "$";

    /// <summary>The ILP address prefix of the ledger; ilp-plugin-bells requires it to end with a dot.</summary>
    [Required, RegularExpression(@"^[a-zA-Z0-9._~-]+\.$", ErrorMessage = "Bridge:Ledger:IlpPrefix must be an ILP address prefix ending with '.' (e.g. example.bridge.)")]
    public string IlpPrefix { get; set; } = "example.bridge.";

    [Range(1, 64)]
    public int Precision { get; set; } = 10;

    /// <summary>Decimal places of amounts; five-bells clients multiply by 10^scale and refuse a missing or zero scale.</summary>
    [Range(1, 64)]
    public int Scale { get; set; } = 2;

    /// <summary>Account names of the ledger's connectors (listed in <c>GET /</c>).</summary>
    public List<string> Connectors { get; } = [];

    [Required]
    public string Version { get; set; } = "five-bells@21";

    /// <summary>
    /// Absolute URLs that replace the defaults (<c>&lt;PublicUrl&gt;/transfers/:id</c>, ...) in <c>GET /</c>, keyed by
    /// their five-bells name (<see cref="UrlNames"/>): the upstream ledger's REST API, which the bridge does not serve.
    /// </summary>
    public Dictionary<string, string> Urls { get; } = new(StringComparer.Ordinal);

    /// <summary>The topic exchange ledger producers publish to (routing keys <c>transfer.create</c>, <c>transfer.update</c>, <c>message.send</c>).</summary>
    [Required]
    public string Exchange { get; set; } = "ledger";

    /// <summary>The durable queue, shared by every instance, that checks each event once and dead-letters malformed ones.</summary>
    [Required]
    public string ValidationQueue { get; set; } = "bridge.ledger.validation";

    /// <summary>Where a browser asking <c>GET /</c> for HTML is redirected (the dashboard); empty to always answer the metadata.</summary>
    public string DashboardPath { get; set; } = "/ui/";

    /// <summary>
    /// When true, the WebSocket answers exactly as five-bells-ledger 21 does: no <c>unsubscribe_*</c> methods and a
    /// missing <c>eventType</c> is invalid. By default those are accepted (the contract's extensions).
    /// </summary>
    public bool StrictFiveBells { get; set; }
}
