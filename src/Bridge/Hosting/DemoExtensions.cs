namespace Bridge.Hosting;

public static class DemoExtensions
{
    public static IHostApplicationBuilder AddBridgeDemo(this IHostApplicationBuilder builder) => builder;
}
