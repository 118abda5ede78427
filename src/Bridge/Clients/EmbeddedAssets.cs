using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Bridge.Clients;

/// <summary>
/// The browser client and the dashboard (<c>wwwroot/</c>, embedded in the assembly), served by explicit
/// endpoints rather than the static-files middleware: the channel route <c>/{channel}</c> matches
/// <c>/ui/</c> too, and an endpoint chosen by routing makes static files step aside.
/// </summary>
internal sealed class EmbeddedAssets
{
    private const string Prefix = "wwwroot/";

    private readonly FrozenDictionary<string, Asset> _assets;

    public EmbeddedAssets()
    {
        var assembly = typeof(EmbeddedAssets).Assembly;
        var types = new FileExtensionContentTypeProvider();
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(name => name.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var bytes = Read(assembly, name);
            var path = name[Prefix.Length..].Replace('\\', '/');
            if (!types.TryGetContentType(path, out var contentType))
            {
                contentType = "application/octet-stream";
            }

            if (contentType.StartsWith("text/", StringComparison.Ordinal) || contentType.EndsWith("javascript", StringComparison.Ordinal))
            {
                contentType += "; charset=utf-8";
            }

            var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 8))}\"";
            assets[path] = new Asset(bytes, contentType, etag);
        }

        _assets = assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IEnumerable<string> Paths => _assets.Keys;

    /// <summary>Writes the asset at <paramref name="path"/> (relative to wwwroot), or 404.</summary>
    public async Task ServeAsync(HttpContext context, string path)
    {
        if (!_assets.TryGetValue(path, out var asset))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsJsonAsync(new { id = "NotFoundError", message = $"no such file: /{path}" });
            return;
        }

        var headers = context.Response.GetTypedHeaders();
        // Revalidate every time: the assets change with the bridge, and an ETag makes the check cheap.
        headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        context.Response.Headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.ContentType = asset.ContentType;
        context.Response.ContentLength = asset.Bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(asset.Bytes, context.RequestAborted);
        }
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);
}
