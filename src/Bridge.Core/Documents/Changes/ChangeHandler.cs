namespace Bridge.Documents.Changes;

/// <summary>Receives the changes of one collection, in order. Called on the feed's own loop: never block.</summary>
public delegate void ChangeHandler(DocumentChange change);
