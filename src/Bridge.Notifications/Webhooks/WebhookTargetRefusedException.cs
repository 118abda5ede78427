namespace Bridge.Webhooks;

/// <summary>A webhook connection refused by <see cref="WebhookTargetPolicy"/>: nothing was sent, and retrying cannot help.</summary>
internal sealed class WebhookTargetRefusedException(string reason) : Exception(reason);
