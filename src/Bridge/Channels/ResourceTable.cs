using Bridge.Broker;

namespace Bridge.Channels;

/// <summary>Where a resource's live changes come from.</summary>
public sealed record WatchSource(string Exchange, string RoutingKey, WatchFormat Format);

/// <summary>A resolved resource: its collection (if any), its id field and its watch source (if any).</summary>
public sealed record ResourceDefinition(string Name, string? Collection, string IdField, WatchSource? Watch)
{
    public const string Mq = "mq";

    public bool IsMq => Name == Mq;
}

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
    public ResourceTable(ChannelOptions options, IEnumerable<ResourceDefinition>? builtIn = null)
    {
        var merged = new Dictionary<string, ResourceOptions>(Defaults(), StringComparer.Ordinal);
        foreach (var (name, resource) in options.Resources)
        {
            merged[name] = resource;
        }

        _resources = merged.ToDictionary(pair => pair.Key, pair => Resolve(pair.Key, pair.Value), StringComparer.Ordinal);
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
        foreach (var (name, resource) in options.Resources)
        {
            var key = $"{ChannelOptions.SectionName}:Resources:{name}";
            if (name == ResourceDefinition.Mq)
            {
                yield return $"{key}: 'mq' is built in and cannot be configured";
            }

            if (resource.Collection is null && resource.Exchange is null)
            {
                yield return $"{key}: a resource needs a Collection, an Exchange, or both";
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

    private static ResourceDefinition Resolve(string name, ResourceOptions options)
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

        return new ResourceDefinition(name, options.Collection, options.IdField, watch);
    }
}
