using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Bridge.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Bridge.IntegrationTests.Ledger;

/// <summary>
/// The real client: ilp-plugin-bells 15 (tests/ledger-client) connects to the bridge with an account's name and
/// password, turns notifications fed through RabbitMQ into plugin events, and reconnects by itself after the
/// bridge restarts.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class IlpPluginBellsTests : IAsyncLifetime
{
    private const string Condition = "ni:///sha-256;fqUwN7d9hnrbgIQ4UCxuViiwjWh7xeK1YBdsiMzVHnI?fpt=preimage-sha-256&cost=32";
    private const string Fulfillment = "oCKAIHJRJdaSgMfyyoWcwveMj_Jp-qzRHWheltSXbI_oRsJd";
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("bridge-ledger-plugin-").FullName;
    private readonly int _port = LoopbackPorts.FreeForRestarts(1)[0];
    private BridgeHost? _host;
    private IConnection? _producer;
    private IChannel? _channel;
    private string _amqpUri = "";

    private string Base => $"http://127.0.0.1:{_port}";

    public async Task InitializeAsync()
    {
        _amqpUri = await RabbitMqServer.GetSharedUriAsync();
        _host = await StartBridgeAsync();
        _producer = await new ConnectionFactory { Uri = new Uri(_amqpUri) }.CreateConnectionAsync();
        _channel = await _producer.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
    }

    public async Task DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
        }

        if (_producer is not null)
        {
            await _producer.DisposeAsync();
        }

        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Plugin_ReceivesPrepareFulfillRejectAndMessage_AndReconnectsAfterABridgeRestart()
    {
        await using var plugin = await PluginProcess.StartAsync($"{Base}/accounts/alice", LedgerBridgeFixture.PasswordOf("alice"));
        await plugin.WaitForAsync("connect", EventTimeout);
        var connected = await plugin.WaitForAsync("connected", EventTimeout);
        Assert.Equal("example.bridge.alice", (string?)connected["args"]![0]);

        var prepared = Guid.NewGuid().ToString();
        await PublishAsync("transfer.create", Transfer(prepared, "prepared", related: null, extra: null, includeEvent: false));
        var prepare = await plugin.WaitForAsync("incoming_prepare", EventTimeout);
        Assert.Equal(prepared, (string?)prepare["args"]![0]!["id"]);
        Assert.Equal("200", (string?)prepare["args"]![0]!["amount"]);
        Assert.Equal("example.bridge.bob", (string?)prepare["args"]![0]!["from"]);
        Assert.Equal("AQID", (string?)prepare["args"]![0]!["ilp"]);

        await PublishAsync("transfer.update", Transfer(prepared, "executed",
            related: new JsonObject { ["execution_condition_fulfillment"] = Fulfillment, ["fulfillment_data"] = "ABAB" }, extra: null, includeEvent: true));
        var fulfill = await plugin.WaitForAsync("incoming_fulfill", EventTimeout);
        Assert.Equal(prepared, (string?)fulfill["args"]![0]!["id"]);
        Assert.Equal("clEl1pKAx_LKhZzC94yP8mn6rNEdaF6W1Jdsj-hGwl0", (string?)fulfill["args"]![1]);

        var rejected = Guid.NewGuid().ToString();
        await PublishAsync("transfer.update", Transfer(rejected, "rejected", related: null,
            extra: new JsonObject
            {
                ["rejected"] = true,
                ["rejection_message"] = new JsonObject { ["code"] = "F99", ["name"] = "Application Error", ["message"] = "nope", ["triggered_by"] = "example.bridge.alice", ["additional_info"] = new JsonObject() },
            },
            includeEvent: false, rejectionReason: "cancelled"));
        var reject = await plugin.WaitForAsync("incoming_reject", EventTimeout);
        Assert.Equal(rejected, (string?)reject["args"]![0]!["id"]);
        Assert.Equal("F99", (string?)reject["args"]![1]!["code"]);

        var messageId = Guid.NewGuid().ToString();
        await PublishAsync("message.send", new JsonObject
        {
            ["event"] = "message.send",
            ["resource"] = new JsonObject
            {
                ["ledger"] = Base,
                ["from"] = $"{Base}/accounts/bob",
                ["to"] = $"{Base}/accounts/alice",
                ["data"] = new JsonObject { ["id"] = messageId, ["ilp"] = "AQID", ["custom"] = new JsonObject { ["foo"] = "bar" } },
                ["account"] = $"{Base}/accounts/bob",
            },
        });
        var message = await plugin.WaitForAsync("incoming_message", EventTimeout);
        Assert.Equal("example.bridge.bob", (string?)message["args"]![0]!["from"]);
        Assert.Equal("bar", (string?)message["args"]![0]!["custom"]!["foo"]);
        Assert.Equal(messageId, (string?)message["args"]![1]);

        // Restart: a new bridge on the same port and data directory (same signing key, so the plugin's token stays good).
        await _host!.DisposeAsync();
        _host = null;
        await plugin.WaitForAsync("disconnect", EventTimeout);
        _host = await StartBridgeAsync();
        await plugin.WaitForAsync("connect", EventTimeout);

        var afterRestart = Guid.NewGuid().ToString();
        await PublishAsync("transfer.create", Transfer(afterRestart, "prepared", related: null, extra: null, includeEvent: true));
        var prepareAfterRestart = await plugin.WaitForAsync("incoming_prepare", EventTimeout);
        Assert.Equal(afterRestart, (string?)prepareAfterRestart["args"]![0]!["id"]);
    }

    private JsonObject Transfer(string id, string state, JsonObject? related, JsonObject? extra, bool includeEvent, string? rejectionReason = null)
    {
        var credit = new JsonObject { ["account"] = $"{Base}/accounts/alice", ["amount"] = "2", ["memo"] = new JsonObject { ["ilp"] = "AQID" } };
        foreach (var (key, value) in extra ?? [])
        {
            credit[key] = value?.DeepClone();
        }

        var resource = new JsonObject
        {
            ["id"] = $"{Base}/transfers/{id}",
            ["ledger"] = Base,
            ["debits"] = new JsonArray(new JsonObject { ["account"] = $"{Base}/accounts/bob", ["amount"] = "2", ["authorized"] = true }),
            ["credits"] = new JsonArray(credit),
            ["execution_condition"] = Condition,
            ["cancellation_condition"] = null,
            ["expires_at"] = DateTime.UtcNow.AddMinutes(1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
            ["state"] = state,
            ["rejection_reason"] = rejectionReason,
        };
        var body = new JsonObject();
        if (includeEvent)
        {
            body["event"] = state == "prepared" ? "transfer.create" : "transfer.update";
        }

        body["resource"] = resource;
        if (related is not null)
        {
            body["related_resources"] = related;
        }

        return body;
    }

    private async Task PublishAsync(string routingKey, JsonObject body)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var channel = _channel!;
        await channel.ExchangeDeclareAsync("ledger", ExchangeType.Topic, durable: true, cancellationToken: timeout.Token);
        await channel.BasicPublishAsync("ledger", routingKey, mandatory: false, new BasicProperties { ContentType = "application/json" },
            Encoding.UTF8.GetBytes(body.ToJsonString()), timeout.Token);
    }

    private async Task<BridgeHost> StartBridgeAsync()
    {
        var settings = LedgerBridgeFixture.LedgerSettings(Base);
        settings["Bridge:RabbitMq:Uri"] = _amqpUri;
        var host = await BridgeHost.StartAsync(settings, _dataDirectory, _port);
        await LedgerBridgeFixture.WaitUntilSubscribedAsync(host);
        return host;
    }

    /// <summary><c>node tests/ledger-client/listen.js</c>: the plugin's events as JSON lines.</summary>
    private sealed class PluginProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
        private readonly StringBuilder _stderr = new();
        private readonly List<string> _seen = [];

        private PluginProcess(Process process) => _process = process;

        public static Task<PluginProcess> StartAsync(string account, string password)
        {
            var directory = ClientDirectory();
            Assert.True(Directory.Exists(Path.Combine(directory, "node_modules", "ilp-plugin-bells")),
                $"ilp-plugin-bells is not installed: run 'npm ci' in {directory} (scripts/test.sh does)");
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = directory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("listen.js");
            start.ArgumentList.Add(account);
            start.ArgumentList.Add(password);
            start.Environment["DEBUG"] = "ilp-plugin-bells:*";
            var process = new Process { StartInfo = start };
            var plugin = new PluginProcess(process);
            process.OutputDataReceived += (_, line) =>
            {
                if (line.Data is { Length: > 0 } data && data.StartsWith('{'))
                {
                    plugin._events.Writer.TryWrite(JsonNode.Parse(data)!.AsObject());
                }
            };
            process.ErrorDataReceived += (_, line) =>
            {
                lock (plugin._stderr)
                {
                    plugin._stderr.AppendLine(line.Data);
                }
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return Task.FromResult(plugin);
        }

        /// <summary>The next event named <paramref name="name"/>, skipping others; fails on an "error" event or a timeout.</summary>
        public async Task<JsonObject> WaitForAsync(string name, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                while (true)
                {
                    var next = await _events.Reader.ReadAsync(cts.Token);
                    var eventName = (string?)next["event"] ?? "";
                    _seen.Add(eventName);
                    Assert.False(eventName == "error", $"the plugin failed: {next}\n{Diagnostics()}");
                    if (eventName == name)
                    {
                        return next;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the plugin did not emit {name} within {timeout.TotalSeconds} s; seen: {string.Join(", ", _seen)}\n{Diagnostics()}");
            }
        }

        private string Diagnostics()
        {
            lock (_stderr)
            {
                var text = _stderr.ToString();
                return text.Length > 6000 ? text[^6000..] : text;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                _process.StandardInput.Close();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        private static string ClientDirectory()
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Bridge.sln")))
            {
                directory = directory.Parent;
            }

            return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("Bridge.sln not found above the test assembly"), "tests", "ledger-client");
        }
    }
}
