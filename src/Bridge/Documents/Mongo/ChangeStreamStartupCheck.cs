using Bridge.Channels;
using Microsoft.Extensions.Options;

namespace Bridge.Documents.Mongo;

/// <summary>
/// At start, when some resource follows a change stream, learns whether MongoDB serves them, so that a
/// standalone server (code 40573) is reported once, clearly, before the first watch rather than at it. It never
/// delays start-up: it asks in the background, again every <see cref="MongoOptions.PingInterval"/> while MongoDB
/// cannot be reached, and stops once it has an answer.
/// </summary>
internal sealed class ChangeStreamStartupCheck(
    MongoChangeFeed feed,
    ResourceTable resources,
    IOptions<MongoOptions> options,
    TimeProvider timeProvider,
    ILogger<ChangeStreamStartupCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var following = resources.All.Where(static r => r.Changes != ChangeSource.Broker && r.Collection is not null).ToList();
        if (following.Count == 0)
        {
            return;
        }

        var names = string.Join(", ", following.Select(static r => r.Name).Order(StringComparer.Ordinal));
        using var timer = new PeriodicTimer(options.Value.PingInterval, timeProvider);
        do
        {
            bool? served;
            try
            {
                served = await feed.ProbeAsync(following[0].Collection!, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Refused for another reason (authorization, ...): each watch meets it and its client hears of it.
                MongoLog.ChangeStreamProbeFailed(logger, e);
                return;
            }

            switch (served)
            {
                case true:
                    MongoLog.ChangeStreamsServed(logger, names);
                    return;
                case false:
                    MongoLog.ChangeStreamResourcesOnBroker(logger, names);
                    return;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
