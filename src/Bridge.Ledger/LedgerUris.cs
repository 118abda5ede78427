using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Ledger;

/// <summary>
/// The ledger's identity as five-bells clients see it: its base URI (<c>Bridge:PublicUrl</c>), account URIs
/// <c>&lt;base&gt;/accounts/&lt;name&gt;</c>, and the metadata document of <c>GET /</c>, encoded once.
/// </summary>
internal sealed partial class LedgerUris
{
    /// <summary>JSON as JavaScript's <c>JSON.stringify</c> writes it: no escaping of <c>&amp;</c>, <c>+</c>, quotes or non-ASCII text.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _basePath;
    private readonly int _authorityLength;

    public LedgerUris(IOptions<BridgeOptions> bridgeOptions, IOptions<LedgerOptions> ledgerOptions)
    {
        ArgumentNullException.ThrowIfNull(bridgeOptions);
        ArgumentNullException.ThrowIfNull(ledgerOptions);
        Base = bridgeOptions.Value.PublicUrl.TrimEnd('/');
        var uri = new Uri(Base, UriKind.Absolute);
        _basePath = uri.AbsolutePath.TrimEnd('/');
        _authorityLength = Base.Length - _basePath.Length;
        var scheme = uri.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        WebSocketUrl = $"{scheme}://{uri.Authority}{_basePath}/websocket";
        Metadata = EncodeMetadata(ledgerOptions.Value);
    }

    /// <summary>The ledger's URI, without a trailing slash (the <c>ledger</c> member of accounts, transfers and messages).</summary>
    public string Base { get; }

    public string WebSocketUrl { get; }

    /// <summary>The body of <c>GET /</c>.</summary>
    public ReadOnlyMemory<byte> Metadata { get; }

    public string AccountUri(string name) => $"{Base}/accounts/{name}";

    /// <summary>Whether <paramref name="name"/> is a five-bells account name (<c>Identifier</c>: <c>^[a-zA-Z0-9_-]{1,86}$</c>).</summary>
    public static bool IsValidAccountName(string? name) => name is not null && AccountName().IsMatch(name);

    /// <summary>
    /// The lower-cased name in an account URI of this ledger, as five-bells parses it: scheme and host compare
    /// without case, the path with case; no query or fragment; <c>/accounts/&lt;anything but '/'&gt;</c> with an
    /// optional trailing slash. The name itself is not checked here (see <see cref="IsValidAccountName"/>).
    /// </summary>
    public bool TryParseAccountUri(string uri, out string name)
    {
        ArgumentNullException.ThrowIfNull(uri);
        name = "";
        if (uri.Length <= Base.Length
            || !uri.StartsWith(Base, StringComparison.OrdinalIgnoreCase)
            || !uri.AsSpan(_authorityLength, _basePath.Length).SequenceEqual(_basePath)
            || uri.Contains('?', StringComparison.Ordinal)
            || uri.Contains('#', StringComparison.Ordinal))
        {
            return false;
        }

        var match = AccountPath().Match(uri, Base.Length);
        if (!match.Success || match.Index != Base.Length)
        {
            return false;
        }

        name = match.Groups[1].Value.ToLowerInvariant();
        return true;
    }

    private ReadOnlyMemory<byte> EncodeMetadata(LedgerOptions options)
    {
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["health"] = Base + "/healthz",
            ["transfer"] = Base + "/transfers/:id",
            ["transfer_fulfillment"] = Base + "/transfers/:id/fulfillment",
            ["transfer_rejection"] = Base + "/transfers/:id/rejection",
            ["transfer_state"] = Base + "/transfers/:id/state",
            ["accounts"] = Base + "/accounts",
            ["account"] = Base + "/accounts/:name",
            ["auth_token"] = Base + "/auth_token",
            ["message"] = Base + "/messages",
        };

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("currency_code", options.CurrencyCode);
            writer.WriteString("currency_symbol", options.CurrencySymbol);
            writer.WriteString("ilp_prefix", options.IlpPrefix);
            writer.WriteNumber("precision", options.Precision);
            writer.WriteNumber("scale", options.Scale);
            writer.WriteStartArray("connectors");
            foreach (var connector in options.Connectors)
            {
                writer.WriteStartObject();
                writer.WriteString("id", AccountUri(connector));
                writer.WriteString("name", connector);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("version", options.Version);
            writer.WriteStartObject("urls");
            foreach (var urlName in LedgerOptions.UrlNames)
            {
                writer.WriteString(urlName, options.Urls.TryGetValue(urlName, out var configured) ? configured : defaults[urlName]);
                if (urlName == "auth_token")
                {
                    writer.WriteString("websocket", WebSocketUrl);
                }
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,86}$")]
    private static partial Regex AccountName();

    // path-to-regexp 1.x as five-bells uses it for '/accounts/:name': case-insensitive, optional trailing slash.
    [GeneratedRegex(@"\G/accounts/([^/]+?)/?\z", RegexOptions.IgnoreCase)]
    private static partial Regex AccountPath();
}
