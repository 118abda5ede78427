namespace Bridge.Hosting;

// SEAM (owned by the documents work): registers IDocumentStore (embedded by default).
public static class DocumentsExtensions
{
    public static IHostApplicationBuilder AddBridgeDocuments(this IHostApplicationBuilder builder) => builder;
}
