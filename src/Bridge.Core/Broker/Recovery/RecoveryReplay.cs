namespace Bridge.Broker.Recovery;

/// <summary>A running replay of <see cref="IRecoveryLog.ReplayAsync"/>.</summary>
/// <param name="Reader">Stops the replay.</param>
/// <param name="FirstRetained">The oldest offset still retained (the next one when nothing is), or null when the log cannot say before reading.</param>
public sealed record RecoveryReplay(IAsyncDisposable Reader, long? FirstRetained);
