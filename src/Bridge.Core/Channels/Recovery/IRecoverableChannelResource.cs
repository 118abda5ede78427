namespace Bridge.Channels.Recovery;

/// <summary>
/// A resource with handlers of its own (<see cref="IChannelResource"/>) whose live frames can be recovered: a
/// watch with <c>"recover": true</c> on it reads <see cref="ResourceDefinition.Watch"/> from the recovery log and
/// shows each message as <see cref="Encoder"/> says.
/// </summary>
public interface IRecoverableChannelResource : IChannelResource
{
    RetainedFrameEncoder Encoder { get; }
}
