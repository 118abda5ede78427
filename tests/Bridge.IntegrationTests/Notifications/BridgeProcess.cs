using System.Diagnostics;
using System.Text;
using Bridge.IntegrationTests.Clients;

namespace Bridge.IntegrationTests.Notifications;

/// <summary>
/// The bridge as a real process (<c>dotnet src/Bridge/bin/Release/net10.0/Bridge.dll</c>), for what an in-test
/// host cannot show: a <c>kill -9</c>. Settings go in as environment variables; output is kept for failures.
/// </summary>
internal sealed class BridgeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BridgeProcess(Process process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<BridgeProcess> StartAsync(IReadOnlyDictionary<string, string> settings, int port)
    {
        var folder = Path.Combine(RepositoryRoot.Find(), "src", "Bridge", "bin", "Release", "net10.0");
        var dll = Path.Combine(folder, "Bridge.dll");
        Assert.True(File.Exists(dll), $"build the solution in Release first: {dll} is missing");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{port}" },
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = start };
        var bridge = new BridgeProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, line) => bridge.Append(line.Data);
        process.ErrorDataReceived += (_, line) => bridge.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await LoopbackPorts.WaitForListenerAsync(port, () => process.HasExited, timeout.Token);
            await bridge.WaitUntilReadyAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            await bridge.DisposeAsync();
            throw new InvalidOperationException($"the bridge process did not become ready: {ex.Message}\n{bridge.Output}", ex);
        }

        return bridge;
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed or acknowledged.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
