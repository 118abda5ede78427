namespace Bridge.Observability;

/// <summary>A dependency's readiness as the operations strip shows it.</summary>
internal sealed record DependencyState(bool Ready, string Description);
