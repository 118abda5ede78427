using Bridge.Documents.Changes;

namespace Bridge.Channels;

/// <summary>
/// At start, when some resource follows a change stream, learns whether the document store serves them, so that
/// a store that cannot (a standalone MongoDB answers code 40573; the embedded store has none) is reported once,
/// clearly, before the first watch rather than at it. It never delays start-up: it asks in the background, again
/// every <see cref="RetryInterval"/> while the store cannot be reached, and stops once it has an answer.
/// </summary>
internal sealed class ChangeStreamStartupCheck(
    IChangeFeed feed,
    ResourceTable resources,
    TimeProvider timeProvider,
    ILogger<ChangeStreamStartupCheck> logger) : BackgroundService
{
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var following = resources.All.Where(static r => r.Changes != ChangeSource.Broker && r.Collection is not null).ToList();
        if (following.Count == 0)
        {
            return;
        }

        var names = string.Join(", ", following.Select(static r => r.Name).Order(StringComparer.Ordinal));
        using var timer = new PeriodicTimer(RetryInterval, timeProvider);
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
                ChannelLog.ChangeStreamProbeFailed(logger, e);
                return;
            }

            switch (served)
            {
                case true:
                    ChannelLog.ChangeStreamsServed(logger, names);
                    return;
                case false:
                    ChannelLog.ChangeStreamResourcesOnBroker(logger, names);
                    return;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
