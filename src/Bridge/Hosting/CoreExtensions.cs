using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

internal static class CoreExtensions
{
    public static IHostApplicationBuilder AddBridgeCore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BridgeOptions>()
            .BindConfiguration(BridgeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // The host's own shutdown budget is the one key operators see (Bridge:ShutdownTimeout).
        builder.Services.AddOptions<HostOptions>()
            .Configure<IOptions<BridgeOptions>>(static (host, bridge) => host.ShutdownTimeout = bridge.Value.ShutdownTimeout);
        builder.Services.AddSingleton(BridgeMode.From(builder.Configuration));
        TokenRedactingLoggerFactory.Register(builder.Services);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DataDirectory>();
        return builder;
    }
}
