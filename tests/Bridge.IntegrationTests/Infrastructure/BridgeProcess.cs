using System.Collections.Concurrent;
using System.Diagnostics;

namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>
/// The real bridge as operators run it: <c>dotnet src/Bridge/bin/&lt;Configuration&gt;/&lt;tfm&gt;/Bridge.dll</c> as a child
/// process, started in a working directory of the test's choosing, its standard output and error kept line by
/// line. Stopped with SIGTERM, as a deploy stops it; killed on dispose if it is still running.
/// </summary>
public sealed class BridgeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BridgeProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}");

    public bool HasExited => _process.HasExited;

    /// <summary>Every line written to standard output and error so far.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>src/Bridge/bin/&lt;this test build's configuration&gt;/&lt;tfm&gt;/Bridge.dll.</summary>
    public static string BridgeDll
    {
        get
        {
            // tests/Bridge.IntegrationTests/bin/<Configuration>/<tfm>/ → src/Bridge/bin/<Configuration>/<tfm>/Bridge.dll
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var tfm = here.Name;
            var configuration = here.Parent?.Name ?? "Release";
            for (var directory = here; directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "src", "Bridge", "bin", configuration, tfm, "Bridge.dll");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException($"Bridge.dll was not found above {here.FullName}: build the solution first.");
        }
    }

    /// <summary>Starts the bridge in <paramref name="workingDirectory"/> with <paramref name="environment"/> and waits until it listens on <paramref name="port"/>.</summary>
    public static async Task<BridgeProcess> StartAsync(string workingDirectory, int port, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(BridgeDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // What the test runner's own environment says about URLs or content roots must not leak in.
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "ASPNETCORE_CONTENTROOT", "DOTNET_CONTENTROOT", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_ENVIRONMENT" })
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var bridge = new BridgeProcess(process, port);
        process.OutputDataReceived += (_, line) => bridge.Collect(line.Data, bridge._outputClosed);
        process.ErrorDataReceived += (_, line) => bridge.Collect(line.Data, bridge._errorClosed);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await LoopbackPorts.WaitForListenerAsync(port, () => process.HasExited, timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            await bridge.DisposeAsync();
            throw new InvalidOperationException($"the bridge did not listen on {port}:\n{bridge.Output}", ex);
        }

        return bridge;
    }

    /// <summary>Sends SIGTERM and waits for the exit (and the end of its output); returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        SendSigterm();
        return await WaitForExitAsync(timeout);
    }

    public void SendSigterm()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
            await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the bridge did not exit within {timeout.TotalSeconds} s:\n{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _process.Dispose();
    }

    private void Collect(string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
        }
        else
        {
            _output.Enqueue(line);
        }
    }
}
