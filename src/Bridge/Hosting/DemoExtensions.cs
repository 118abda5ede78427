using Bridge.Demo;
using Bridge.Kernel;

namespace Bridge.Hosting;

internal static class DemoExtensions
{
    /// <summary>
    /// Registers the <see cref="DemoProducer"/> when <c>Bridge:Demo:Enabled</c> is true, or when it is unset
    /// and the bridge runs embedded (no RabbitMQ and no MongoDB configured).
    /// </summary>
    public static IHostApplicationBuilder AddBridgeDemo(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<DemoOptions>()
            .BindConfiguration(DemoOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var enabled = builder.Configuration.GetValue<bool?>($"{DemoOptions.SectionName}:{nameof(DemoOptions.Enabled)}")
            ?? BridgeMode.From(builder.Configuration).IsEmbedded;
        if (enabled)
        {
            builder.Services.AddSingleton<DemoTransactions>();
            builder.Services.AddHostedService<DemoProducer>();
        }

        return builder;
    }
}
