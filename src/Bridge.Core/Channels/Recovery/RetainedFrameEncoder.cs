using Bridge.Broker;

namespace Bridge.Channels.Recovery;

/// <summary>Turns a retained message into the frame a watcher receives, or says it is not for this watch (filtered out, unreadable).</summary>
public delegate bool RetainedFrameEncoder(in BrokerDelivery delivery, out ReadOnlyMemory<byte> frame);
