using Bridge.Documents;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

// SEAM (owned by the documents work): registers IDocumentStore (embedded by default).
public static class DocumentsExtensions
{
    /// <summary>
    /// Registers <see cref="IDocumentStore"/>: the <see cref="EmbeddedDocumentStore"/> (options under
    /// <c>Bridge:Embedded</c>, files under <c>{Bridge:DataDirectory}/embedded</c>).
    /// </summary>
    public static IHostApplicationBuilder AddBridgeDocuments(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<EmbeddedStoreOptions>()
            .BindConfiguration(EmbeddedStoreOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(static sp => new EmbeddedDocumentStore(
            sp.GetRequiredService<IOptions<EmbeddedStoreOptions>>(),
            sp.GetRequiredService<DataDirectory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<EmbeddedDocumentStore>>()));

        // THE place where the MongoDB store will be chosen. Until it is built, a configured
        // Bridge:Mongo:Uri still gets the embedded store, and start-up logs a warning saying so.
        var mongoRequested = !string.IsNullOrWhiteSpace(builder.Configuration["Bridge:Mongo:Uri"]);
        builder.Services.AddSingleton<IDocumentStore>(static sp => sp.GetRequiredService<EmbeddedDocumentStore>());

        builder.Services.AddHostedService(sp => new DocumentStoreStartup(
            sp, mongoRequested, sp.GetRequiredService<ILogger<DocumentStoreStartup>>()));
        return builder;
    }
}
