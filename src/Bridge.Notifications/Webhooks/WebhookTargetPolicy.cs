using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Bridge.Webhooks;

/// <summary>
/// Where webhooks may go (docs/security.md "Webhooks"): <c>https://</c> (and <c>http://</c> only with
/// <see cref="WebhookOptions.AllowHttp"/>), to public addresses only unless the host or address is listed in
/// <see cref="WebhookOptions.AllowedHosts"/>. Checked when a subscription is made (<see cref="CheckAsync"/>) and
/// again on every connection (<see cref="ConnectAsync"/>, the HTTP handler's connect callback), on the very
/// address connected to: a name that resolved to a public address yesterday and to 127.0.0.1 now (DNS
/// rebinding) is refused at that point, before a byte is sent.
/// </summary>
internal sealed class WebhookTargetPolicy
{
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    private readonly WebhookOptions _options;
    private readonly HashSet<string> _allowedNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> _allowedNetworks = [];

    public WebhookTargetPolicy(IOptions<WebhookOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        foreach (var entry in _options.AllowedHosts)
        {
            var trimmed = entry.Trim().TrimStart('[').TrimEnd(']');
            if (IPNetwork.TryParse(trimmed, out var network))
            {
                _allowedNetworks.Add(network);
            }
            else if (IPAddress.TryParse(trimmed, out var address))
            {
                _allowedNetworks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                _allowedNames.Add(trimmed);
            }
        }
    }

    /// <summary>Whether a configured <c>AllowedHosts</c> entry is a host name, an IP address or a CIDR range.</summary>
    public static bool IsValidAllowedHost(string? entry)
    {
        if (string.IsNullOrWhiteSpace(entry))
        {
            return false;
        }

        var trimmed = entry.Trim().TrimStart('[').TrimEnd(']');
        return IPNetwork.TryParse(trimmed, out _) || IPAddress.TryParse(trimmed, out _) || Uri.CheckHostName(trimmed) == UriHostNameType.Dns;
    }

    /// <summary>Null when <paramref name="target"/> may receive webhooks, else why not (for a 400).</summary>
    public async Task<string?> CheckAsync(Uri target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (SchemeProblem(target) is { } problem)
        {
            return problem;
        }

        var host = target.IdnHost.TrimStart('[').TrimEnd(']');
        if (_allowedNames.Contains(host))
        {
            return null;
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).WaitAsync(ResolveTimeout, cancellationToken);
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                // Not resolvable now (no such name, or no DNS from here): nothing it could reach today. The
                // connection checks again on every delivery, so accepting it lets no request through.
                return null;
            }
        }

        foreach (var address in addresses)
        {
            if (Refusal(host, address) is { } refusal)
            {
                return refusal;
            }
        }

        return null;
    }

    /// <summary>
    /// The connect callback of the webhook client: resolves, checks every address, connects to the first allowed
    /// one. Throws <see cref="WebhookTargetRefusedException"/> (never retried) when none may be reached.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host.TrimStart('[').TrimEnd(']');
        IPAddress[] addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        string? refusal = null;
        foreach (var address in addresses)
        {
            if (Refusal(host, address) is { } reason)
            {
                refusal ??= reason;
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException)
            {
                socket.Dispose();
                if (address.Equals(addresses[^1]))
                {
                    throw;
                }
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new WebhookTargetRefusedException(refusal ?? $"'{host}' has no address");
    }

    private string? SchemeProblem(Uri target)
    {
        if (!target.IsAbsoluteUri)
        {
            return "'sendTo' must be an absolute https:// URL";
        }

        if (target.Scheme == Uri.UriSchemeHttps)
        {
            return null;
        }

        if (target.Scheme == Uri.UriSchemeHttp)
        {
            return _options.AllowHttp ? null : $"'sendTo' must be an https:// URL (http:// is refused unless {WebhookOptions.SectionName}:AllowHttp is true)";
        }

        return $"'sendTo' must be an https:// URL, not {target.Scheme}:";
    }

    private string? Refusal(string host, IPAddress address)
    {
        if (_allowedNames.Contains(host) || AddressClass.NonPublicKind(address) is not { } kind)
        {
            return null;
        }

        var mapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (_allowedNetworks.Exists(network => network.Contains(mapped)))
        {
            return null;
        }

        var shown = IPAddress.TryParse(host, out _) ? $"'{host}'" : $"'{host}' resolves to {address}, which";
        return $"'sendTo' {shown} is a {kind} address; webhooks go only to public addresses unless the host is listed in {WebhookOptions.SectionName}:AllowedHosts";
    }
}
