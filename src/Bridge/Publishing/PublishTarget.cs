namespace Bridge.Publishing;

/// <summary>What <c>POST /api/publish</c> may do with an exchange name (see <see cref="PublishTargets"/>).</summary>
internal enum PublishTarget
{
    /// <summary>Not in <c>Bridge:Publish:AllowedExchanges</c>, which is set: 403.</summary>
    Forbidden,

    /// <summary>An exchange of the bridge's configuration: declared (durable topic) if missing, then published to.</summary>
    Configured,

    /// <summary>Any other name: published to only if the exchange already exists on the broker, else 404.</summary>
    ExistingOnly,
}
