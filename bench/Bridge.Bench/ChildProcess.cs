using System.Diagnostics;
using System.Globalization;

namespace Bridge.Bench;

/// <summary>
/// A server the bench runs as a separate process (the bridge, or the ceiling server): its output goes to a
/// log file, readiness is an HTTP 200 on a path, and disposal kills it.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly List<Process> Running = [];
    private readonly Process _process;
    private readonly Task _drain;

    static ChildProcess()
    {
        // Children must not outlive the bench, even when it is interrupted.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Running)
            {
                foreach (var process in Running)
                {
                    try
                    {
                        process.Kill(entireProcessTree: true);
                    }
                    catch (InvalidOperationException)
                    {
                    }
                }
            }
        };
    }

    private ChildProcess(Process process, string logPath, int port)
    {
        _process = process;
        LogPath = logPath;
        Port = port;
        var log = new StreamWriter(logPath) { AutoFlush = true };
        _drain = Task.WhenAll(CopyAsync(process.StandardOutput, log), CopyAsync(process.StandardError, log))
            .ContinueWith(_ => log.Dispose(), TaskScheduler.Default);
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    public static async Task<ChildProcess> StartAsync(
        string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory, int port, string readyPath, string logDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {name}");
        lock (Running)
        {
            Running.Add(process);
        }

        var child = new ChildProcess(process, Path.Combine(logDirectory, $"{name}-{port.ToString(CultureInfo.InvariantCulture)}.log"), port);
        try
        {
            await child.WaitReadyAsync(readyPath, cancellationToken);
            return child;
        }
        catch
        {
            await child.DisposeAsync();
            var tail = File.Exists(child.LogPath) ? string.Join('\n', File.ReadLines(child.LogPath).TakeLast(30)) : "";
            throw new InvalidOperationException($"{name} did not become ready on port {port}; its log ({child.LogPath}) ends:\n{tail}");
        }
    }

    /// <summary>Resident set size (VmRSS) in bytes.</summary>
    public long ResidentBytes() => ResidentBytesOf(_process.Id);

    public static long ResidentBytesOf(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS for process {pid}");
    }

    /// <summary>CPU time (user + system, all threads) the process has used so far, in seconds.</summary>
    public double CpuSeconds() => CpuSecondsOf(_process.Id);

    public static double CpuSecondsOf(int pid)
    {
        // /proc/<pid>/stat: the command may contain spaces, so count fields after its closing parenthesis;
        // utime and stime are the 14th and 15th fields, in clock ticks (USER_HZ, 100 on Linux).
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
        }

        await _drain.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (Running)
        {
            Running.Remove(_process);
        }

        _process.Dispose();
    }

    private async Task WaitReadyAsync(string path, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"exited with code {_process.ExitCode}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}{path}"), timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!timeout.IsCancellationRequested)
            {
                // One request timed out; keep polling.
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private static async Task CopyAsync(StreamReader from, StreamWriter to)
    {
        while (await from.ReadLineAsync() is { } line)
        {
            lock (to)
            {
                to.WriteLine(line);
            }
        }
    }
}
