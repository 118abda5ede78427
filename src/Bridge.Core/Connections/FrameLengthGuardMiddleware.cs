using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Bridge.Connections;

/// <summary>
/// Puts a <see cref="FrameLengthGuardStream"/> under every WebSocket the bridge accepts, by decorating the
/// upgrade features that ASP.NET Core's WebSocket middleware takes its stream from (HTTP/1.1 upgrade and
/// HTTP/2 extended CONNECT). Must run before <c>UseWebSockets</c>.
/// </summary>
internal sealed class FrameLengthGuardMiddleware(RequestDelegate next, IOptions<ConnectionOptions> options, ILoggerFactory loggerFactory)
{
    private readonly long _maxMessageBytes = options.Value.MaxMessageBytes;
    private readonly TimeSpan _closeTimeout = options.Value.CloseTimeout;
    private readonly ILogger _logger = loggerFactory.CreateLogger<WebSocketConnection>();

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new GuardedUpgrade(upgrade, this));
        }

        if (context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            context.Features.Set<IHttpExtendedConnectFeature>(new GuardedExtendedConnect(connect, this));
        }

        return next(context);
    }

    private Stream Guard(Stream stream) => new FrameLengthGuardStream(stream, _maxMessageBytes, _closeTimeout, _logger);

    private sealed class GuardedUpgrade(IHttpUpgradeFeature inner, FrameLengthGuardMiddleware owner) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => owner.Guard(await inner.UpgradeAsync());
    }

    private sealed class GuardedExtendedConnect(IHttpExtendedConnectFeature inner, FrameLengthGuardMiddleware owner) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;

        public string? Protocol => inner.Protocol;

        public async ValueTask<Stream> AcceptAsync() => owner.Guard(await inner.AcceptAsync());
    }
}
