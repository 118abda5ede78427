namespace Bridge.Documents.Changes;

/// <summary>What happened to a document, in RackHD's words (the <c>on.waterline</c> event names).</summary>
public enum ChangeKind
{
    Created,
    Updated,
    Destroyed,
}
