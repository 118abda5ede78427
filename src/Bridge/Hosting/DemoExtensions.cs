using Bridge.Demo;
using Bridge.Documents;
using Bridge.Kernel;

namespace Bridge.Hosting;

internal static class DemoExtensions
{
    /// <summary>
    /// Registers the demo's sample data as the stores' seed (used when <c>Bridge:Embedded:Seed</c> or
    /// <c>Bridge:Mongo:Seed</c> is on), and the <see cref="DemoProducer"/> when <c>Bridge:Demo:Enabled</c> is true,
    /// or when it is unset and the bridge runs embedded (no RabbitMQ and no MongoDB configured).
    /// </summary>
    public static IHostApplicationBuilder AddBridgeDemo(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<DemoOptions>()
            .BindConfiguration(DemoOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IDocumentSeed, DemoSeed>();

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
