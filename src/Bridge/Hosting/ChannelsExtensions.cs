namespace Bridge.Hosting;

public static class ChannelsExtensions
{
    public static IHostApplicationBuilder AddBridgeChannels(this IHostApplicationBuilder builder) => builder;
}
