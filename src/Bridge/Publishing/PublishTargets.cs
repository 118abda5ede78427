using Bridge.Channels;
using Bridge.Ledger;
using Bridge.Notifications;
using Microsoft.Extensions.Options;

namespace Bridge.Publishing;

/// <summary>
/// Which exchanges an admin may publish to (issue 11, item 3). A publish used to declare whatever it named,
/// so a typo made a durable exchange that stayed for good. Now only the bridge's configured exchanges are
/// declared on demand: <c>Bridge:Publish:AllowedExchanges</c>, the channel resources' and <c>mq</c>
/// exchanges, the ledger's and the notifications' exchanges. Any other name must already exist.
/// When <c>AllowedExchanges</c> is set it is also the only list that may be published to at all.
/// </summary>
internal sealed class PublishTargets
{
    private readonly HashSet<string> _allowed;
    private readonly HashSet<string> _configured;

    public PublishTargets(
        IOptions<PublishOptions> publish,
        ResourceTable resources,
        IOptions<LedgerOptions> ledger,
        IOptions<NotificationOptions> notifications)
    {
        ArgumentNullException.ThrowIfNull(publish);
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(notifications);
        _allowed = new HashSet<string>(publish.Value.AllowedExchanges, StringComparer.Ordinal);
        _configured = new HashSet<string>(_allowed, StringComparer.Ordinal);
        _configured.UnionWith(resources.MqExchanges);
        _configured.UnionWith(resources.All.Select(static r => r.Watch?.Exchange).OfType<string>());
        _configured.Add(ledger.Value.Exchange);
        _configured.Add(notifications.Value.Exchange);
    }

    /// <summary>The exchanges declared on demand, for diagnostics and tests.</summary>
    public IReadOnlySet<string> Configured => _configured;

    public PublishTarget Classify(string exchange)
    {
        if (_allowed.Count > 0 && !_allowed.Contains(exchange))
        {
            return PublishTarget.Forbidden;
        }

        return _configured.Contains(exchange) ? PublishTarget.Configured : PublishTarget.ExistingOnly;
    }
}
