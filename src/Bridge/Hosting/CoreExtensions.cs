using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

/// <summary>
/// Whether the bridge runs on its embedded defaults (no RabbitMQ and no MongoDB configured). Several
/// defaults follow from it: the demo producer and anonymous channel access are on only there.
/// </summary>
public sealed record BridgeMode(bool IsEmbedded)
{
    public static BridgeMode From(IConfiguration configuration) =>
        new(string.IsNullOrWhiteSpace(configuration["Bridge:RabbitMq:Uri"])
            && string.IsNullOrWhiteSpace(configuration["Bridge:Mongo:Uri"]));
}

/// <summary>The data directory, resolved against the content root and created on first use.</summary>
public sealed class DataDirectory(IOptions<BridgeOptions> options, IHostEnvironment environment)
{
    private readonly string _path = Path.GetFullPath(options.Value.DataDirectory, environment.ContentRootPath);

    public string PathFor(string relative)
    {
        Directory.CreateDirectory(_path);
        return Path.Combine(_path, relative);
    }

    public string Root
    {
        get
        {
            Directory.CreateDirectory(_path);
            return _path;
        }
    }
}

public static class CoreExtensions
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
