using System.Diagnostics;

namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// Runs tests/browser-client/reconnect.test.mjs: /client/bridge.js against a fake bridge in Node reconnects at
/// once after a 1012 (service restart) and backs off after other closes (issue 16 §3).
/// </summary>
public sealed class BrowserClientReconnectTests
{
    [Fact]
    public async Task BrowserClient_After1012_ReconnectsAtOnce_AfterOtherCloses_BacksOff()
    {
        var root = RepositoryRoot.Find();
        var folder = Path.Combine(root, "tests", "browser-client");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "ws")),
            $"run `npm ci` in {folder} (scripts/test.sh does it when node_modules is missing)");

        using var node = Process.Start(new ProcessStartInfo("node", "reconnect.test.mjs")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["BRIDGE_CLIENT_FILE"] = Path.Combine(root, "src", "Bridge", "wwwroot", "client", "bridge.js") },
        })!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw;
        }

        var text = await output + await errors;
        Assert.True(node.ExitCode == 0, text);
        Assert.Contains("OK", text, StringComparison.Ordinal);
    }
}
