namespace Bridge.Broker;

/// <summary>What <c>/readyz</c> reports for a dependency.</summary>
public readonly record struct DependencyStatus(bool IsReady, string Description);
