using System.Text.Json.Nodes;

namespace Bridge.Channels.Recovery;

/// <summary>How a <c>"snapshot": true</c> watch reads its documents: the <c>list</c> it gets first, on a fresh start or when its position was lost.</summary>
/// <param name="Read">Reads the matching documents.</param>
/// <param name="IdField">The resource's id field, for merging the live frames held during the read (<see cref="SnapshotMerge"/>).</param>
internal sealed record RecoverySnapshot(Func<CancellationToken, Task<IReadOnlyList<JsonObject>>> Read, string IdField);
