namespace Bridge.Broker.Recovery;

/// <summary>
/// Told once how a replay ended. <paramref name="end"/> is, for <see cref="ReplayOutcome.CaughtUp"/>, the last offset
/// the replay covers: every later offset reaches the live subscription instead. It must not block.
/// </summary>
public delegate void ReplayEndHandler(ReplayOutcome outcome, long end);
