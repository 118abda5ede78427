namespace Bridge.Webhooks;

/// <summary>What one delivery came to, all attempts included.</summary>
/// <param name="Delivered">The target answered 2xx.</param>
/// <param name="Attempts">Tries made, a connection the target policy refused included (that one is never retried).</param>
/// <param name="Status">The last HTTP status received, if any.</param>
/// <param name="Error">Why it was not delivered (null when it was).</param>
internal sealed record DeliveryResult(bool Delivered, int Attempts, int? Status, string? Error);
