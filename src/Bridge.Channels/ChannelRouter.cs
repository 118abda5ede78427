using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Channels.Recovery;
using Bridge.Documents;
using Bridge.Json;
using Microsoft.Extensions.Options;

namespace Bridge.Channels;

/// <summary>
/// Routes a channel message on its <c>handler</c> field (contract: "Handlers") and answers it. Bad input
/// always gets an <c>error</c> reply with a specific code; the connection stays usable.
/// </summary>
internal sealed partial class ChannelRouter(
    ResourceTable resources,
    IDocumentStore store,
    WatchRegistry watches,
    IOptions<ChannelOptions> options,
    ILogger<ChannelRouter> logger,
    IEnumerable<IChannelResource>? ownHandlers = null,
    RecoveringWatchRegistry? recoveringWatches = null,
    FilterEvaluationSlots? evaluationSlots = null)
{
    private readonly ChannelOptions _options = options.Value;
    private readonly FilterLimits _limits = new(MaxLimit: options.Value.MaxResults) { EvaluationBudget = options.Value.FilterEvaluationBudget };
    private readonly Dictionary<string, IChannelResource> _ownHandlers =
        (ownHandlers ?? []).ToDictionary(static r => r.Definition.Name, StringComparer.Ordinal);

    public async ValueTask HandleAsync(ChannelSession session, ReadOnlyMemory<byte> message, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        string? handler = null;
        string? resourceName = session.Channel;
        JsonNode? parameters = null;
        try
        {
            if (type != WebSocketMessageType.Text)
            {
                throw new ChannelRequestException(ChannelErrorCodes.InvalidMessage, "binary frames are not supported: send one JSON object per text frame");
            }

            var request = Parse(message);
            handler = ReadString(request, "handler", ChannelErrorCodes.MissingHandler)
                ?? throw new ChannelRequestException(ChannelErrorCodes.MissingHandler, "the message has no 'handler' field");
            resourceName = ReadString(request, "resource", ChannelErrorCodes.InvalidMessage)
                ?? ReadString(request, "type", ChannelErrorCodes.InvalidMessage)
                ?? session.Channel;

            if (handler == "init")
            {
                session.Connection.TrySend(ChannelFrames.Session(session.Connection.Id));
                return;
            }

            if (handler is not ("query" or "all" or "get" or "watch" or "stop"))
            {
                throw new ChannelRequestException(ChannelErrorCodes.UnknownHandler,
                    $"unknown handler '{handler}': expected init, query, all, get, watch or stop");
            }

            if (resourceName.Length == 0)
            {
                throw new ChannelRequestException(ChannelErrorCodes.UnknownResource,
                    "no resource: name one with 'resource' or connect to ws://host/{resource}");
            }

            if (!resources.TryGet(resourceName, out var resource))
            {
                throw new ChannelRequestException(ChannelErrorCodes.UnknownResource, $"unknown resource '{resourceName}'");
            }

            request.TryGetPropertyValue("params", out parameters);
            if (await TryHandleRecoveryAsync(session, request, handler, resource, parameters, cancellationToken))
            {
                return;
            }

            if (_ownHandlers.TryGetValue(resource.Name, out var own) && await own.TryHandleAsync(session.Connection, handler, parameters, cancellationToken))
            {
                return;
            }

            switch (handler)
            {
                case "query":
                    await QueryAsync(session, resource, parameters, cancellationToken);
                    break;
                case "all":
                    await AllAsync(session, resource, parameters, cancellationToken);
                    break;
                case "get":
                    await GetAsync(session, resource, parameters, cancellationToken);
                    break;
                case "watch":
                    await WatchAsync(session, resource, parameters, IsTrue(request, "snapshot"), cancellationToken);
                    break;
                default:
                    await StopAsync(session, resource, parameters);
                    break;
            }
        }
        catch (ChannelRequestException ex)
        {
            Reply(session, resourceName, ex.Code, ex.Message, handler, parameters);
        }
        catch (InvalidFilterException ex)
        {
            Reply(session, resourceName, ChannelErrorCodes.InvalidFilter, ex.Message, handler, parameters);
        }
        catch (FilterBudgetExceededException ex)
        {
            Reply(session, resourceName, ChannelErrorCodes.FilterTooCostly, ex.Message, handler, parameters);
        }
        catch (StoreUnavailableException ex)
        {
            Reply(session, resourceName, ChannelErrorCodes.StoreUnavailable, $"the document store is unavailable: {ex.Message}", handler, parameters);
        }
        catch (BrokerUnavailableException ex)
        {
            Reply(session, resourceName, ChannelErrorCodes.BrokerUnavailable, $"the message broker is unavailable: {ex.Message}", handler, parameters);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            ChannelLog.RequestFailed(logger, session.Connection.Id, handler ?? "?", ex);
            Reply(session, resourceName, ChannelErrorCodes.InternalError, "the request failed unexpectedly; the error is in the bridge's log", handler, parameters);
        }
    }

    private async Task QueryAsync(ChannelSession session, ResourceDefinition resource, JsonNode? parameters, CancellationToken cancellationToken)
    {
        var collection = CollectionOf(resource, "query");
        var query = FilterParser.ParseQuery(ObjectOrNull(parameters, "query"), _limits);
        query = query with { Limit = Math.Min(query.Limit ?? _options.MaxResults, _options.MaxResults) };
        var items = await store.FindAsync(collection, query, cancellationToken);
        session.Connection.TrySend(ChannelFrames.List(resource.Name, items));
    }

    private async Task AllAsync(ChannelSession session, ResourceDefinition resource, JsonNode? parameters, CancellationToken cancellationToken)
    {
        var collection = CollectionOf(resource, "all");
        var paging = ObjectOrNull(parameters, "all");
        var limit = ReadCount(paging, "limit") ?? _options.MaxResults;
        var skip = ReadCount(paging, "skip") ?? 0;
        var query = new DocumentQuery(Filter.Empty, [], skip, Math.Min(limit, _options.MaxResults));
        var items = await store.FindAsync(collection, query, cancellationToken);
        session.Connection.TrySend(ChannelFrames.List(resource.Name, items));
    }

    private async Task GetAsync(ChannelSession session, ResourceDefinition resource, JsonNode? parameters, CancellationToken cancellationToken)
    {
        var collection = CollectionOf(resource, "get");
        if (ObjectOrNull(parameters, "get") is not { Count: > 0 } filterObject)
        {
            throw new ChannelRequestException(ChannelErrorCodes.InvalidParams,
                $"get needs params naming the document, e.g. {{\"{resource.IdField}\":\"...\"}}");
        }

        var filter = FilterParser.ParseFilter(filterObject, _limits);
        var found = await store.FindAsync(collection, new DocumentQuery(filter, [], 0, 1), cancellationToken);
        if (found.Count > 0)
        {
            var document = found[0];
            session.Connection.TrySend(ChannelFrames.Change("item", resource.Name, document[resource.IdField]?.DeepClone(), document));
            return;
        }

        var requestedId = filterObject[resource.IdField] ?? filterObject["id"];
        session.Connection.TrySend(ChannelFrames.Change("remove", resource.Name, requestedId?.DeepClone(), filterObject.DeepClone()));
    }

    private async Task WatchAsync(ChannelSession session, ResourceDefinition resource, JsonNode? parameters, bool snapshot, CancellationToken cancellationToken)
    {
        var spec = BuildWatchSpec(resource, ObjectOrNull(parameters, "watch"));
        if (snapshot && resource.Collection is null)
        {
            throw new ChannelRequestException(ChannelErrorCodes.NotSupported, $"resource '{resource.Name}' has no collection to take a snapshot of");
        }

        if (session.Watches.ContainsKey(spec.Key))
        {
            // RackHD delivered every event once per repeated watch; the contract wants one delivery.
            return;
        }

        if (session.Watches.Count >= _options.MaxWatchesPerConnection)
        {
            throw new ChannelRequestException(ChannelErrorCodes.TooManyWatches,
                $"a connection may hold at most {_options.MaxWatchesPerConnection} watches; stop some first");
        }

        // Snapshot (contract "Watches"): join first with live frames held, read, send the list, then release
        // the held frames the snapshot does not already reflect, so nothing is lost or sent twice in between.
        var group = await watches.JoinAsync(spec, session.Connection, cancellationToken, bufferUntilSnapshot: snapshot);
        if (snapshot)
        {
            try
            {
                var items = await store.FindAsync(resource.Collection!, new DocumentQuery(spec.Filter, [], 0, _options.MaxResults), cancellationToken);
                await group.FlushSnapshotAsync(session.Connection, ChannelFrames.List(resource.Name, items), items);
            }
            catch
            {
                await watches.LeaveAsync(group, session.Connection);
                throw;
            }
        }

        session.Watches[spec.Key] = group;
    }

    private static bool IsTrue(JsonObject request, string name) => request[name] switch
    {
        null => false,
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValueKind() == JsonValueKind.True,
        _ => throw new ChannelRequestException(ChannelErrorCodes.InvalidMessage, $"'{name}' must be true or false"),
    };

    private async Task StopAsync(ChannelSession session, ResourceDefinition resource, JsonNode? parameters)
    {
        if (parameters is null)
        {
            // No params: every watch of this resource on the connection ends.
            foreach (var (watchKey, group) in session.Watches.Where(pair => pair.Key.Resource == resource.Name).ToList())
            {
                session.Watches.Remove(watchKey);
                await watches.LeaveAsync(group, session.Connection);
            }

            return;
        }

        // Stopping needs only the watch's identity: params that would be refused as a watch simply match none.
        var key = (resource.Name, CanonicalJson.Write(ObjectOrNull(parameters, "stop")));
        if (session.Watches.Remove(key, out var existing))
        {
            await watches.LeaveAsync(existing, session.Connection);
        }
    }

    private WatchSpec BuildWatchSpec(ResourceDefinition resource, JsonObject? parameters)
    {
        var canonical = CanonicalJson.Write(parameters);
        if (resource.IsMq)
        {
            var exchange = parameters?["exchange"] is JsonValue e && e.TryGetValue<string>(out var ex) ? ex : null;
            var routingKey = parameters?["routingKey"] is JsonValue k && k.TryGetValue<string>(out var rk) ? rk : null;
            if (string.IsNullOrEmpty(exchange) || routingKey is null)
            {
                throw new ChannelRequestException(ChannelErrorCodes.InvalidParams,
                    "an mq watch needs params {\"exchange\":\"...\",\"routingKey\":\"...\"}");
            }

            if (!resources.MqExchanges.Contains(exchange))
            {
                throw new ChannelRequestException(ChannelErrorCodes.ExchangeNotAllowed,
                    $"exchange '{exchange}' may not be watched; allowed: {string.Join(", ", resources.MqExchanges.Order(StringComparer.Ordinal))}");
            }

            if (!TopicPattern.IsValidKey(routingKey, out var keyError))
            {
                throw new ChannelRequestException(ChannelErrorCodes.InvalidParams, $"'{routingKey}' is not a valid routing key pattern: {keyError}");
            }

            return new WatchSpec(resource, canonical, new WatchSource(exchange, routingKey, WatchFormat.Raw), Filter.Empty);
        }

        var source = resource.Watch
            ?? throw new ChannelRequestException(ChannelErrorCodes.NotSupported, $"resource '{resource.Name}' cannot be watched");
        var filter = FilterParser.ParseFilter(parameters, _limits);
        return new WatchSpec(resource, canonical, ResourceTable.Narrow(source, resource, parameters), filter);
    }

    private static string CollectionOf(ResourceDefinition resource, string handler) =>
        resource.Collection
        ?? throw new ChannelRequestException(ChannelErrorCodes.NotSupported,
            $"resource '{resource.Name}' has no collection: {handler} is not supported, only watch/stop");

    private static JsonObject Parse(ReadOnlyMemory<byte> message)
    {
        JsonNode? node;
        try
        {
            // Depth, duplicate names and unpaired surrogates are refused here, so nothing later can throw on them.
            node = UntrustedJson.ParseNode(message.Span);
        }
        catch (UntrustedJsonException ex)
        {
            throw new ChannelRequestException(ChannelErrorCodes.InvalidJson, $"the message is not valid JSON: {ex.Message}");
        }

        return node as JsonObject
            ?? throw new ChannelRequestException(ChannelErrorCodes.InvalidMessage, "a message must be a JSON object with a 'handler' field");
    }

    private static string? ReadString(JsonObject request, string name, string code)
    {
        if (!request.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }

        return node is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new ChannelRequestException(code, $"'{name}' must be a string");
    }

    private static JsonObject? ObjectOrNull(JsonNode? parameters, string handler) => parameters switch
    {
        null => null,
        JsonObject obj => obj,
        _ => throw new ChannelRequestException(ChannelErrorCodes.InvalidParams, $"params of {handler} must be a JSON object"),
    };

    private static int? ReadCount(JsonObject? parameters, string name)
    {
        if (parameters?[name] is not { } node)
        {
            return null;
        }

        return node is JsonValue value && value.TryGetValue<int>(out var count) && count >= 0
            ? count
            : throw new ChannelRequestException(ChannelErrorCodes.InvalidParams, $"params.{name} must be a non-negative integer");
    }

    private void Reply(ChannelSession session, string? resource, string code, string message, string? handler, JsonNode? parameters = null)
    {
        ChannelLog.RequestRefused(logger, session.Connection.Id, handler ?? "?", resource ?? "?", code, message);
        session.Connection.Metrics.ClientError(code);
        session.Connection.TrySend(ChannelFrames.Error(resource, code, message, handler, parameters));
    }
}
