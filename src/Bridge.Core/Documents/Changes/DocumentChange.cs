using System.Text.Json.Nodes;

namespace Bridge.Documents.Changes;

/// <summary>
/// One change of one document as a change feed reports it: the collection, what happened, the document's id
/// and, except for <see cref="ChangeKind.Destroyed"/>, the whole document as it is now (as clients see it).
/// </summary>
public sealed record DocumentChange(string Collection, ChangeKind Kind, string Id, JsonObject? Document);
