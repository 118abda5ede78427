namespace Bridge.Observability;

/// <summary>A dependency's readiness as the operations strip shows it.</summary>
public sealed record DependencyState(bool Ready, string Description);
