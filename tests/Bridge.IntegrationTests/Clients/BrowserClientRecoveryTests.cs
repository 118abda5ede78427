using System.Diagnostics;
using System.Text;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// Runs the scripts of tests/browser-client against /client/bridge.js as the bridge serves it, while this test
/// publishes a numbered stream on the bridge's broker: recovery.test.mjs recovers its watch after the socket drops
/// (issue 16 §1); recovery-unsupported.test.mjs has a watch the bridge cannot recover.
/// </summary>
public sealed class BrowserClientRecoveryTests
{
    [Fact]
    public Task BrowserClient_AfterTheSocketDrops_ResumesWithSince_NoGapNoRepeat_AndReportsRecovered() =>
        RunScriptAsync("recovery.test.mjs", new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" }, [("on.test", "js")]);

    /// <summary>tests/browser-client/recovery-unsupported.test.mjs: a watch refused <c>recover</c> is sent again without it, and says so.</summary>
    [Fact]
    public Task BrowserClient_AWatchOnAnExchangeWithoutRetention_IsSentAgainWithoutRecover_AndSaysSo() =>
        RunScriptAsync("recovery-unsupported.test.mjs", new Dictionary<string, string?>
        {
            ["Bridge:Channels:AllowAnonymous"] = "true",
            ["Bridge:Recovery:Exchanges:0"] = "on.logging",
        }, [("on.test", "js"), ("on.logging", "logs")]);

    /// <param name="script">The script in tests/browser-client.</param>
    /// <param name="settings">The bridge's configuration.</param>
    /// <param name="streams">Where the numbers go: each exchange with its routing-key prefix (the client tells mq watches apart by routing key).</param>
    private static async Task RunScriptAsync(string script, Dictionary<string, string?> settings, (string Exchange, string Prefix)[] streams)
    {
        var root = RepositoryRoot.Find();
        var folder = Path.Combine(root, "tests", "browser-client");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "ws")),
            $"run `npm ci` in {folder} (scripts/test.sh does it when node_modules is missing)");
        await using var host = await BridgeHost.StartAsync(settings);
        var broker = host.Services.GetRequiredService<IBroker>();

        using var node = Process.Start(new ProcessStartInfo("node", script)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["BRIDGE_URL"] = host.BaseUri.ToString() },
        })!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();

        // A steady numbered stream on each exchange until the script ends (bounded: 60 s at most).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (var n = 0; !node.HasExited && DateTime.UtcNow < deadline; n++)
        {
            foreach (var (exchange, prefix) in streams)
            {
                await broker.PublishAsync(exchange, $"{prefix}.{n}", Encoding.UTF8.GetBytes($$"""{"n":{{n}}}"""), CancellationToken.None);
            }

            await Task.Delay(10);
        }

        if (!node.HasExited)
        {
            node.Kill(entireProcessTree: true);
        }

        await node.WaitForExitAsync();
        var text = await output + await errors;
        Assert.True(node.ExitCode == 0, text);
        Assert.Contains("OK", text, StringComparison.Ordinal);
    }
}
