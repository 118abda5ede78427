using Bridge.Documents;
using Bridge.Documents.Changes;
using Bridge.Documents.Mongo;
using Bridge.Kernel;
using Microsoft.Extensions.Options;

namespace Bridge.Hosting;

public static class DocumentsExtensions
{
    /// <summary>
    /// Registers <see cref="IDocumentStore"/>: the <see cref="MongoDocumentStore"/> when <c>Bridge:Mongo:Uri</c> is set
    /// (options under <c>Bridge:Mongo</c>), else the <see cref="EmbeddedDocumentStore"/> (options under
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
            sp.GetRequiredService<ILogger<EmbeddedDocumentStore>>(),
            sp.GetService<IDocumentSeed>()));

        // THE place where the store is chosen.
        if (!BridgeMode.From(builder.Configuration).HasMongo)
        {
            builder.Services.AddSingleton<IDocumentStore>(static sp => sp.GetRequiredService<EmbeddedDocumentStore>());
            builder.Services.AddSingleton<IChangeFeed, NoChangeFeed>();
        }
        else
        {
            builder.Services.AddOptions<MongoOptions>()
                .BindConfiguration(MongoOptions.SectionName)
                .ValidateDataAnnotations()
                .ValidateOnStart();
            builder.Services.AddSingleton<IValidateOptions<MongoOptions>, MongoOptionsValidator>();
            builder.Services.AddSingleton<MongoDocumentStore>();
            builder.Services.AddSingleton<IDocumentStore>(static sp => sp.GetRequiredService<MongoDocumentStore>());
            builder.Services.AddHostedService<MongoStoreMonitor>();
            builder.Services.AddSingleton<MongoChangeFeed>();
            builder.Services.AddSingleton<IChangeFeed>(static sp => sp.GetRequiredService<MongoChangeFeed>());
        }

        builder.Services.AddHostedService(static sp => new DocumentStoreStartup(
            sp, sp.GetRequiredService<ILogger<DocumentStoreStartup>>()));
        return builder;
    }
}
