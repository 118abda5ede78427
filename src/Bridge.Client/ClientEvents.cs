namespace Bridge.Client;

/// <summary>How both clients raise their events.</summary>
internal static class ClientEvents
{
    /// <summary>
    /// Raises <paramref name="handler"/>; a subscriber's exception is logged and swallowed, because it runs on the
    /// receive loop or the reconnection, and a subscriber's bug must not end either.
    /// </summary>
    public static void Raise<TArgs>(object sender, EventHandler<TArgs>? handler, TArgs args, string name, ILogger logger)
    {
        try
        {
            handler?.Invoke(sender, args);
        }
        catch (Exception ex)
        {
            ClientLog.EventHandlerFailed(logger, name, ex);
        }
    }
}
