namespace Bridge.Observability;

/// <summary>Values of the <c>front</c> label.</summary>
internal static class Front
{
    public const string Channels = "channels";
    public const string Ledger = "ledger";
}
