using System.Collections.Concurrent;
using System.Text;
using Bridge.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>A webhook target on a loopback port: records every request; <see cref="Respond"/> decides each answer.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>When set, every answer carries this <c>Location</c> (for redirect tests).</summary>
    public Uri? Location { get; set; }

    /// <summary>Given the attempt number (1-based over all requests), returns the status to answer; may wait.</summary>
    public Func<int, CancellationToken, Task<int>> Respond { get; set; } = static (_, _) => Task.FromResult(200);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var headers = new HeaderDictionary();
            foreach (var (name, value) in context.Request.Headers)
            {
                headers[name] = value;
            }

            var received = new Received(body.ToArray(), headers);
            receiver!.Requests.Enqueue(received);
            context.Response.StatusCode = await receiver.Respond(receiver.Requests.Count, context.RequestAborted);
            if (receiver.Location is { } location)
            {
                context.Response.Headers.Location = location.AbsoluteUri;
            }
        });
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver = new WebhookReceiver(app, new Uri(new Uri(address), "/hook"));
        return receiver;
    }

    public Task WaitForAsync(Func<IReadOnlyCollection<Received>, bool> done, string awaiting, TimeSpan? timeout = null) =>
        WaitUntil.TrueAsync(() => done(Requests), () => $"the webhook receiver never saw {awaiting}; it got {Requests.Count} requests",
            timeout ?? NotificationTestSupport.Timeout);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    public sealed record Received(byte[] Body, IHeaderDictionary Headers)
    {
        /// <summary>The W3C trace context the bridge sent (empty when none).</summary>
        public string TraceParent => Headers.TraceParent.ToString();

        public string Text => Encoding.UTF8.GetString(Body);

        /// <summary>The Standard Webhooks id: the same on every attempt of one event to one subscription.</summary>
        public string WebhookId => Headers["webhook-id"].ToString();

        public string Signature => Headers["webhook-signature"].ToString();

        public string Subscription => Headers["X-Bridge-Subscription"].ToString();

        /// <summary>Whether the StandardWebhooks NuGet package (not our code) accepts this request with that secret.</summary>
        public bool VerifiesWith(string secret)
        {
            try
            {
                new StandardWebhooks.StandardWebhook(secret).Verify(Text, Headers);
                return true;
            }
            catch (StandardWebhooks.Diagnostics.WebhookVerificationException)
            {
                return false;
            }
        }
    }
}
