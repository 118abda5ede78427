using System.Diagnostics;
using System.Text;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Clients;

/// <summary>
/// Runs tests/browser-client/client.test.mjs (the served /client/bridge.js under Node with <c>ws</c>) against
/// a bridge with the demo producer on, and restarts the bridge on the same port when the script asks.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserClientNodeTests
{
    [Fact]
    public async Task BrowserClient_UnderNode_RequestsWatchesAndSurvivesABridgeRestart()
    {
        var folder = Path.Combine(RepositoryRoot.Find(), "tests", "browser-client");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "ws")),
            $"run `npm ci` in {folder} (scripts/test.sh does it when node_modules is missing)");

        var host = await BridgeHost.StartAsync(DemoSettings());
        var output = new StringBuilder();
        try
        {
            using var node = Process.Start(new ProcessStartInfo("node", "client.test.mjs")
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["BRIDGE_URL"] = host.BaseUri.ToString() },
            })!;
            var restartRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node.OutputDataReceived += (_, line) =>
            {
                lock (output)
                {
                    output.AppendLine(line.Data);
                }

                if (line.Data == "RESTART")
                {
                    restartRequested.TrySetResult();
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
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(100));
            try
            {
                var exited = node.WaitForExitAsync(timeout.Token);
                if (await Task.WhenAny(restartRequested.Task, exited) == restartRequested.Task)
                {
                    var (baseUri, dataDirectory) = (host.BaseUri, host.DataDirectory);
                    await host.DisposeAsync();
                    host = await StartOnPortAsync(baseUri, dataDirectory);
                }

                await exited;
            }
            catch (OperationCanceledException)
            {
                node.Kill(entireProcessTree: true);
                Assert.Fail($"node did not finish within 100 s:\n{output}");
            }

            Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}:\n{output}");
            Assert.Contains("OK", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    internal static Dictionary<string, string?> DemoSettings() => new()
    {
        ["Bridge:Channels:AllowAnonymous"] = "true",
        ["Bridge:Demo:Enabled"] = "true",
        ["Bridge:Demo:Interval"] = "00:00:00.200",
        ["Bridge:Accounts:0:Name"] = "admin",
        ["Bridge:Accounts:0:PasswordHash"] = TestPasswords.Hash("admin-secret"),
        ["Bridge:Accounts:0:IsAdmin"] = "true",
    };

    private static async Task<BridgeHost> StartOnPortAsync(Uri baseUri, string dataDirectory)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await BridgeHost.StartAsync(DemoSettings(), dataDirectory, baseUri);
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }
}

/// <summary>The repository root (the folder holding Bridge.sln), found from the test assembly's folder.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Bridge.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no Bridge.sln above {AppContext.BaseDirectory}");
    }
}
