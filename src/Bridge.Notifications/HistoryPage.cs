using System.Text.Json.Nodes;

namespace Bridge.Notifications;

/// <summary>A page of the history: items newest first, and the cursor of the next (older) page, if any.</summary>
internal sealed record HistoryPage(IReadOnlyList<JsonObject> Items, string? Next);
