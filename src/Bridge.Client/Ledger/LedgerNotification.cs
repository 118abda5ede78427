using System.Text.Json.Nodes;

namespace Bridge.Client.Ledger;

/// <summary>
/// <c>{"method":"notify","params":{"event":E,"resource":R,"related_resources":{...},"id":...}}</c>:
/// <see cref="Event"/> is e.g. <c>transfer.create</c>, <c>transfer.update</c> or <c>message.send</c>.
/// </summary>
public sealed record LedgerNotification(string Event, JsonObject? Resource, JsonObject? RelatedResources, string? Id, JsonObject Params);
