namespace Bridge.Channels;

/// <summary>Which of a <see cref="ChangeSource.Both"/> resource's two sources reported a change.</summary>
internal enum ChangeOrigin
{
    Broker,
    ChangeStream,
}
