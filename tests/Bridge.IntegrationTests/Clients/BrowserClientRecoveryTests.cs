using System.Diagnostics;
using System.Text;
using Bridge.Broker;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// Runs tests/browser-client/recovery.test.mjs: /client/bridge.js, as the bridge serves it, recovers its watch
/// after the socket drops (issue 16 §1) while this test publishes a numbered stream on the bridge's broker.
/// </summary>
public sealed class BrowserClientRecoveryTests
{
    [Fact]
    public async Task BrowserClient_AfterTheSocketDrops_ResumesWithSince_NoGapNoRepeat_AndReportsRecovered()
    {
        var root = RepositoryRoot.Find();
        var folder = Path.Combine(root, "tests", "browser-client");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "ws")),
            $"run `npm ci` in {folder} (scripts/test.sh does it when node_modules is missing)");
        await using var host = await BridgeHost.StartAsync(new Dictionary<string, string?> { ["Bridge:Channels:AllowAnonymous"] = "true" });
        var broker = host.Services.GetRequiredService<IBroker>();

        using var node = Process.Start(new ProcessStartInfo("node", "recovery.test.mjs")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["BRIDGE_URL"] = host.BaseUri.ToString() },
        })!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();

        // A steady numbered stream until the script ends (bounded: 60 s at most).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (var n = 0; !node.HasExited && DateTime.UtcNow < deadline; n++)
        {
            await broker.PublishAsync("on.test", $"js.{n}", Encoding.UTF8.GetBytes($$"""{"n":{{n}}}"""), CancellationToken.None);
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
