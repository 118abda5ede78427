using System.Text.Json.Nodes;
using Bridge.Broker.Recovery;
using Bridge.Channels.Recovery;
using Bridge.Documents;

namespace Bridge.Channels;

/// <summary>Recovery on the channel protocol (issue 16 §1): <c>watch</c> with <c>"recover"</c> and <c>"since"</c>.</summary>
public sealed partial class ChannelRouter
{
    /// <summary>
    /// Takes a recovering <c>watch</c> (and the recovering half of a <c>stop</c>); false for everything else,
    /// which the router handles as before: RackHD clients never send <c>recover</c> and see no change.
    /// </summary>
    private async ValueTask<bool> TryHandleRecoveryAsync(
        ChannelSession session, JsonObject request, string handler, ResourceDefinition resource, JsonNode? parameters, CancellationToken cancellationToken)
    {
        if (handler == "stop")
        {
            await StopRecoveringAsync(session, resource, parameters);
            return false;
        }

        if (handler != "watch")
        {
            return false;
        }

        request.TryGetPropertyValue("since", out var sinceNode);
        if (!IsTrue(request, "recover"))
        {
            return sinceNode is null
                ? false
                : throw new ChannelRequestException(ChannelErrorCodes.InvalidParams, "'since' needs \"recover\": true on the same watch");
        }

        var registry = recoveringWatches
            ?? throw new ChannelRequestException(ChannelErrorCodes.NotSupported, "recovery is not enabled on this bridge");
        var since = ParseSince(sinceNode);
        var snapshot = IsTrue(request, "snapshot");
        var plan = PlanRecoveringWatch(resource, parameters, snapshot, registry);
        if (!registry.Log.Retains(plan.Exchange))
        {
            throw new ChannelRequestException(ChannelErrorCodes.NotSupported,
                $"exchange '{plan.Exchange}' is not retained for recovery (Bridge:Recovery:Exchanges); watch it without \"recover\"");
        }

        if (session.Watches.ContainsKey(plan.Key) || session.RecoveringWatches.ContainsKey(plan.Key))
        {
            return true;
        }

        if (session.Watches.Count + session.RecoveringWatches.Count >= _options.MaxWatchesPerConnection)
        {
            throw new ChannelRequestException(ChannelErrorCodes.TooManyWatches,
                $"a connection may hold at most {_options.MaxWatchesPerConnection} watches; stop some first");
        }

        var member = await registry.JoinAsync(plan.Key, plan.CreateGroup, session.Connection, hold: since is not null || snapshot, cancellationToken);
        session.RecoveringWatches[plan.Key] = member;
        try
        {
            await member.RecoverAsync(since, plan.Snapshot, cancellationToken);
        }
        catch
        {
            session.RecoveringWatches.Remove(plan.Key);
            await member.LeaveAsync();
            throw;
        }

        return true;
    }

    private static RecoveryPosition? ParseSince(JsonNode? since)
    {
        if (since is null)
        {
            return null;
        }

        return since is JsonValue value && value.TryGetValue<string>(out var text) && RecoveryPosition.TryParse(text, out var position)
            ? position
            : throw new ChannelRequestException(ChannelErrorCodes.InvalidParams,
                "'since' must be the \"position\" of a frame this deployment sent (a string such as \"1-42\")");
    }

    private RecoveringWatchPlan PlanRecoveringWatch(ResourceDefinition resource, JsonNode? parameters, bool snapshot, RecoveringWatchRegistry registry)
    {
        if (_ownHandlers.TryGetValue(resource.Name, out var own))
        {
            if (own is not IRecoverableChannelResource recoverable || resource.Watch is not { } ownSource)
            {
                throw new ChannelRequestException(ChannelErrorCodes.NotSupported, $"resource '{resource.Name}' cannot be watched with \"recover\"");
            }

            if (snapshot)
            {
                throw new ChannelRequestException(ChannelErrorCodes.NotSupported, $"resource '{resource.Name}' has no collection to take a snapshot of");
            }

            var ownKey = (resource.Name, CanonicalJson.Write(ObjectOrNull(parameters, "watch")));
            return new RecoveringWatchPlan(ownKey, ownSource.Exchange, null,
                () => new RecoveringWatchGroup(ownKey, ownSource.Exchange, ownSource.RoutingKey, recoverable.Encoder, registry.Log));
        }

        var spec = BuildWatchSpec(resource, ObjectOrNull(parameters, "watch"));
        if (snapshot && resource.Collection is null)
        {
            throw new ChannelRequestException(ChannelErrorCodes.NotSupported, $"resource '{resource.Name}' has no collection to take a snapshot of");
        }

        var read = snapshot
            ? new RecoverySnapshot(
                async ct => await store.FindAsync(resource.Collection!, new DocumentQuery(spec.Filter, [], 0, _options.MaxResults), ct),
                resource.IdField)
            : null;
        return new RecoveringWatchPlan(spec.Key, spec.Source.Exchange, read, () =>
        {
            // A watch group never subscribed, used for its encoding: the same filter and frame shapes as a plain watch.
            var encoding = new WatchGroup(spec, registry.Metrics, logger);
            return new RecoveringWatchGroup(spec.Key, spec.Source.Exchange, spec.Source.RoutingKey, encoding.TryEncodeFrame, registry.Log,
                onEnd: () => new ValueTask(encoding.CompleteAsync()),
                evaluateOffReader: !spec.Filter.IsEmpty,
                evaluationSlots: evaluationSlots,
                filterQueueCapacity: _options.WatchFilterQueueCapacity,
                logger: logger);
        });
    }

    private async Task StopRecoveringAsync(ChannelSession session, ResourceDefinition resource, JsonNode? parameters)
    {
        if (session.RecoveringWatches.Count == 0)
        {
            return;
        }

        if (parameters is null)
        {
            foreach (var (key, member) in session.RecoveringWatches.Where(pair => pair.Key.Resource == resource.Name).ToList())
            {
                session.RecoveringWatches.Remove(key);
                await member.LeaveAsync();
            }

            return;
        }

        var watchKey = (resource.Name, CanonicalJson.Write(ObjectOrNull(parameters, "stop")));
        if (session.RecoveringWatches.Remove(watchKey, out var existing))
        {
            await existing.LeaveAsync();
        }
    }

    private sealed record RecoveringWatchPlan(
        (string Resource, string Params) Key, string Exchange, RecoverySnapshot? Snapshot, Func<RecoveringWatchGroup> CreateGroup);
}
