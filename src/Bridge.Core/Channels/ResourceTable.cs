using System.Text.Json.Nodes;
using Bridge.Broker;

namespace Bridge.Channels;

/// <summary>
/// The resources channels serve: RackHD's table (so the bridge works against a RackHD deployment out of the
/// box) merged with <see cref="ChannelOptions.Resources"/>, plus the raw <c>mq</c> resource.
/// </summary>
public sealed class ResourceTable
{
    public const string WaterlineExchange = "on.waterline";

    private readonly Dictionary<string, ResourceDefinition> _resources;
    private readonly HashSet<string> _mqExchanges;

    /// <param name="options">The configured resources and mq exchanges.</param>
    /// <param name="builtIn">Resources other areas serve themselves (<see cref="IChannelResource"/>); they own their names.</param>
    /// <param name="changeStreamsByDefault"><c>Bridge:Mongo:ChangeStreams</c>: resources with a collection and no <c>Changes</c> of their own follow a change stream.</param>
    public ResourceTable(ChannelOptions options, IEnumerable<ResourceDefinition>? builtIn = null, bool changeStreamsByDefault = false)
    {
        var defaults = Defaults();
        var merged = new Dictionary<string, ResourceOptions>(defaults, StringComparer.Ordinal);
        foreach (var (name, resource) in options.Resources)
        {
            merged[name] = defaults.TryGetValue(name, out var standard) && IsOverlay(resource)
                ? new ResourceOptions
                {
                    Collection = standard.Collection,
                    IdField = resource.IdField == "id" ? standard.IdField : resource.IdField,
                    Exchange = standard.Exchange,
                    RoutingKey = standard.RoutingKey,
                    Format = standard.Format,
                    Changes = resource.Changes,
                }
                : resource;
        }

        _resources = merged.ToDictionary(pair => pair.Key, pair => Resolve(pair.Key, pair.Value, changeStreamsByDefault), StringComparer.Ordinal);
        _resources[ResourceDefinition.Mq] = new ResourceDefinition(ResourceDefinition.Mq, null, "id", null);
        foreach (var definition in builtIn ?? [])
        {
            _resources[definition.Name] = definition;
        }

        _mqExchanges = new HashSet<string>(options.MqExchanges ?? ChannelOptions.DefaultMqExchanges, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<ResourceDefinition> All => _resources.Values;

    public IReadOnlySet<string> MqExchanges => _mqExchanges;

    public bool TryGet(string name, out ResourceDefinition resource) => _resources.TryGetValue(name, out resource!);

    /// <summary>RackHD's resource table (on-wss), see the contract's "Resources" section.</summary>
    public static Dictionary<string, ResourceOptions> Defaults()
    {
        var table = new Dictionary<string, ResourceOptions>(StringComparer.Ordinal);
        foreach (var name in new[] { "catalogs", "files", "lookups", "nodes", "profiles", "skus", "templates" })
        {
            table[name] = new ResourceOptions { Collection = name };
        }

        table["graphDefs"] = new ResourceOptions { Collection = "graphdefinitions" };
        table["graphObjs"] = new ResourceOptions { Collection = "graphobjects", IdField = "instanceId" };
        table["pollers"] = new ResourceOptions { Collection = "workitems" };
        table["taskDefs"] = new ResourceOptions { Collection = "taskdefinitions" };

        // Logs are stored in a collection but watched live from the logging exchange, as mq delivers them.
        table["logs"] = new ResourceOptions { Collection = "logs", Exchange = "on.logging", RoutingKey = "#", Format = WatchFormat.Raw };
        return table;
    }

    /// <summary>Problems with configured resources, for start-up validation; empty when all is well.</summary>
    public static IEnumerable<string> Validate(ChannelOptions options)
    {
        var defaults = Defaults();
        foreach (var (name, configured) in options.Resources)
        {
            var key = $"{ChannelOptions.SectionName}:Resources:{name}";
            if (name == ResourceDefinition.Mq)
            {
                yield return $"{key}: 'mq' is built in and cannot be configured";
            }

            // Only Changes (or IdField) on a default resource: the rest of its definition is the default's.
            var resource = defaults.TryGetValue(name, out var standard) && IsOverlay(configured) ? standard : configured;
            if (resource.Collection is null && resource.Exchange is null)
            {
                yield return $"{key}: a resource needs a Collection, an Exchange, or both";
            }

            if (configured.Changes is ChangeSource.ChangeStream or ChangeSource.Both && resource.Collection is null)
            {
                yield return $"{key}:Changes {configured.Changes} needs a Collection to follow";
            }

            if (configured.Changes == ChangeSource.Both && (resource.Format ?? (resource.Exchange is null ? WatchFormat.Waterline : WatchFormat.Raw)) == WatchFormat.Raw)
            {
                yield return $"{key}:Changes Both needs the Waterline format (change streams give waterline frames); use ChangeStream alone for a Raw resource";
            }

            if (resource.Exchange is not null && string.IsNullOrWhiteSpace(resource.RoutingKey))
            {
                yield return $"{key}:RoutingKey is required when Exchange is set";
            }

            if (resource.RoutingKey is not null && !TopicPattern.IsValidKey(resource.RoutingKey, out var keyError))
            {
                yield return $"{key}:RoutingKey '{resource.RoutingKey}' is not a valid binding key: {keyError}";
            }

            if (resource.Exchange is not null && !ExchangeName.IsValid(resource.Exchange, out var exchangeError))
            {
                yield return $"{key}:Exchange '{resource.Exchange}' is not a valid exchange name: {exchangeError}";
            }
        }
    }

    /// <summary>
    /// A watch on one record need not pull the whole collection's traffic: RackHD's Waterline routing keys end
    /// with the record's identity (<c>id</c>, or <c>instanceId</c> for graph objects), so an equality filter on
    /// the resource's id field narrows the binding to <c>&lt;collection&gt;.*.&lt;id&gt;</c>.
    /// </summary>
    public static WatchSource Narrow(WatchSource source, ResourceDefinition resource, JsonObject? parameters)
    {
        if (source.Format != WatchFormat.Waterline
            || resource.Collection is null
            || source.RoutingKey != resource.Collection + ".#"
            || parameters?[resource.IdField] is not JsonValue idValue
            || !idValue.TryGetValue<string>(out var id)
            || !TopicPattern.IsValidKey(id, out _)
            || id.Length == 0
            || id.AsSpan().IndexOfAny(".*#") >= 0)
        {
            return source;
        }

        return source with { RoutingKey = $"{resource.Collection}.*.{id}" };
    }

    /// <summary>A configured entry that names neither a collection nor an exchange only adjusts a default resource.</summary>
    private static bool IsOverlay(ResourceOptions options) =>
        options.Collection is null && options.Exchange is null && options.RoutingKey is null && options.Format is null;

    private static ResourceDefinition Resolve(string name, ResourceOptions options, bool changeStreamsByDefault)
    {
        WatchSource? watch = null;
        if (options.Exchange is not null)
        {
            watch = new WatchSource(options.Exchange, options.RoutingKey ?? "#", options.Format ?? WatchFormat.Raw);
        }
        else if (options.Collection is not null)
        {
            watch = new WatchSource(WaterlineExchange, options.Collection + ".#", options.Format ?? WatchFormat.Waterline);
        }

        var changes = options.Changes ?? (changeStreamsByDefault && options.Collection is not null ? ChangeSource.ChangeStream : ChangeSource.Broker);
        return new ResourceDefinition(name, options.Collection, options.IdField, watch) { Changes = changes };
    }
}
