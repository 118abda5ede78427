using System.Diagnostics;
using System.Globalization;

namespace Bridge.Bench;

/// <summary>The bench's end of one <see cref="ConnectionHolder"/> child: lines to its stdin, lines awaited from its stdout.</summary>
public sealed class HolderProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromMinutes(5);
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _stderr;

    private HolderProcess(Process process, string logPath, string latencyFile)
    {
        _process = process;
        LatencyFile = latencyFile;
        _log = new StreamWriter(logPath) { AutoFlush = true };
        _stderr = CopyErrorsAsync();
    }

    public string LatencyFile { get; }

    public static async Task<HolderProcess> StartAsync(Uri endpoint, int count, int messages, TimeSpan collect, string logDirectory, int index, CancellationToken cancellationToken)
    {
        var benchDll = typeof(HolderProcess).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(benchDll)!,
        };
        var latencyFile = Path.Combine(Path.GetTempPath(), $"bridge-bench-latencies-{Environment.ProcessId}-{index}.txt");
        foreach (var argument in new[]
        {
            benchDll, ConnectionHolder.Command, "--endpoint", endpoint.ToString(), "--count", count.ToString(CultureInfo.InvariantCulture),
            "--messages", messages.ToString(CultureInfo.InvariantCulture), "--out", latencyFile,
            "--collect-seconds", collect.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a connection holder");
        var holder = new HolderProcess(process, Path.Combine(logDirectory, $"holder-{process.Id}.log"), latencyFile);
        try
        {
            await holder.ExpectAsync("started", cancellationToken);
            return holder;
        }
        catch
        {
            await holder.DisposeAsync();
            throw;
        }
    }

    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for a line starting with <paramref name="word"/> and returns the words after it.</summary>
    public async Task<string[]> ExpectAsync(string word, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReplyTimeout);
        try
        {
            while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                await _log.WriteLineAsync(line);
                var words = line.Split(' ');
                if (words[0] == word)
                {
                    return words[1..];
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"connection holder {_process.Id} did not say '{word}' within {ReplyTimeout}");
        }

        throw new InvalidOperationException($"connection holder {_process.Id} ended before saying '{word}' (exit code {(_process.HasExited ? _process.ExitCode : -1)}); see its log");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await SendAsync("quit");
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidOperationException)
        {
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await _stderr.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _log.DisposeAsync();
        _process.Dispose();
        File.Delete(LatencyFile);
    }

    private async Task CopyErrorsAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            lock (_log)
            {
                _log.WriteLine(line);
            }
        }
    }
}
