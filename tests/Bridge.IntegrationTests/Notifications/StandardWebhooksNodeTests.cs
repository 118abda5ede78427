using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Bridge.Broker;
using Bridge.IntegrationTests.Clients;
using Bridge.IntegrationTests.Infrastructure;
using Bridge.Webhooks;
using static Bridge.IntegrationTests.Notifications.NotificationTestSupport;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>
/// Deliveries verified by the npm <c>standardwebhooks</c> library in a Node receiver (tests/webhook-receiver),
/// which also checks that a tampered body and another secret fail; a delivery signed six minutes ago is refused by it.
/// </summary>
[Collection("Notifications")]
public sealed class StandardWebhooksNodeTests
{
    [Fact]
    public async Task DeliveriesVerifyWithTheNpmLibrary_AndAStaleTimestampDoesNot()
    {
        var folder = Path.Combine(RepositoryRoot.Find(), "tests", "webhook-receiver");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "standardwebhooks")),
            $"run `npm ci` in {folder} (scripts/test.sh does it when node_modules is missing)");

        var lines = new BlockingCollection<string>();
        var output = new StringBuilder();
        using var node = Process.Start(new ProcessStartInfo("node", "receiver.mjs")
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        node.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { } text)
            {
                lock (output)
                {
                    output.AppendLine(text);
                }

                lines.Add(text);
            }
        };
        node.ErrorDataReceived += (_, line) =>
        {
            lock (output)
            {
                output.AppendLine(line.Data);
            }
        };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        try
        {
            string Next(string prefix)
            {
                while (lines.TryTake(out var line, TimeSpan.FromSeconds(20)))
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line;
                    }

                    Assert.False(line.StartsWith("REFUSED", StringComparison.Ordinal), $"the receiver refused a delivery: {line}\n{output}");
                }

                throw new TimeoutException($"the receiver never printed {prefix}:\n{output}");
            }

            var port = int.Parse(Next("LISTENING ")["LISTENING ".Length..], CultureInfo.InvariantCulture);
            var target = new Uri($"http://127.0.0.1:{port}/hook");
            await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?>
            {
                ["Bridge:Accounts:0:Name"] = "ops",
                ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("ops-secret"),
                ["Bridge:Webhooks:AllowHttp"] = "true",
                ["Bridge:Webhooks:AllowedHosts:0"] = "127.0.0.1",
            });
            using var http = Http(host);
            http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:ops-secret")));
            var secret = (string)(await WebhookSubscriptionTests.SubscribeAsync(http, target))["secret"]!;
            await node.StandardInput.WriteLineAsync(secret);
            await node.StandardInput.FlushAsync();
            Next("SECRET");

            var broker = host.Services.GetRequiredService<IBroker>();
            foreach (var id in new[] { "tx-node-1", "tx-node-2" })
            {
                await broker.PublishAsync("notifications", "webhook_tx", Encoding.UTF8.GetBytes(Message(id, "success")), CancellationToken.None);
            }

            var verified = new[] { Next("VERIFIED "), Next("VERIFIED ") };
            Assert.Equal(["tx-node-1", "tx-node-2"], verified.Select(v => v.Split(' ')[2]).Order(StringComparer.Ordinal));
            Assert.All(verified, v => Assert.StartsWith("msg_", v.Split(' ')[1], StringComparison.Ordinal));

            // Signed with the right secret, but six minutes ago: the library refuses it.
            var body = Encoding.UTF8.GetBytes(Message("tx-stale", "success"));
            var stale = DateTimeOffset.UtcNow.AddMinutes(-6);
            using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body) };
            request.Headers.Add(WebhookSignature.IdHeader, "msg_stale");
            request.Headers.Add(WebhookSignature.TimestampHeader, stale.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign([WebhookSignature.KeyOf(secret)], "msg_stale", stale, body));
            using var plain = new HttpClient();
            using var response = await plain.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("too old", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }
        }
    }
}
