using Bridge.Broker;

namespace Bridge.Channels;

/// <summary>
/// The channel protocol answers a <c>watch</c> at once: a broker subscription that is not bound right now (the
/// broker is away, or the bind failed) is an error frame (<c>broker_unavailable</c>) for that request, not a
/// watch that might start delivering later. The broker itself would keep such a subscription and bind it when
/// it can (<see cref="IBroker.SubscribeAsync"/>); the front lets it go instead, as it did before that contract.
/// </summary>
internal static class BrokerSubscriptions
{
    /// <summary>The subscription when it is bound now; otherwise disposes it and throws <see cref="BrokerUnavailableException"/> with its problem.</summary>
    public static async ValueTask<IBrokerSubscription> BoundNowAsync(this ValueTask<IBrokerSubscription> subscribing)
    {
        var subscription = await subscribing;
        if (subscription.IsBound)
        {
            return subscription;
        }

        var problem = subscription.Problem ?? "the subscription is not bound";
        await subscription.DisposeAsync();
        throw new BrokerUnavailableException(problem);
    }
}
