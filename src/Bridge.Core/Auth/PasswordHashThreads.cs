using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Bridge.Auth;

/// <summary>
/// Threads of their own for password hashing, at a low scheduling priority (nice 10 on Linux,
/// <see cref="ThreadPriority.Lowest"/> elsewhere). Bounding concurrent hashes (the guard's slots) caps the cores
/// they take; the priority makes sure the connections come first: measured on the loaded 2-core build machine, one
/// PBKDF2 thread at normal priority doubled another client's delivery p99, because the scheduler shares the
/// process's CPU time fairly between its threads (issue 11 item 6). Not the lowest (19): on a saturated machine a
/// nice-19 hash got so little CPU that one login took over 10 s; at 10 it still weighs a tenth of a normal thread.
/// </summary>
internal sealed partial class PasswordHashThreads : IDisposable
{
    private const int HashNice = 10;

    private readonly BlockingCollection<Action> _work = [];

    public PasswordHashThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        for (var i = 0; i < count; i++)
        {
            new Thread(Run) { IsBackground = true, Name = $"password-hash-{i}" }.Start();
        }
    }

    /// <summary>Runs <paramref name="work"/> on one of the threads; the task completes with its result or exception.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                try
                {
                    completion.SetResult(work());
                }
                catch (Exception ex)
                {
                    completion.SetException(ex);
                }
            });
        }
        catch (InvalidOperationException)
        {
            completion.SetException(new ObjectDisposedException(nameof(PasswordHashThreads)));
        }

        return completion.Task;
    }

    /// <summary>The threads end once the work already queued is done.</summary>
    public void Dispose() => _work.CompleteAdding();

    private void Run()
    {
        LowerOwnPriority();
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }

    private static void LowerOwnPriority()
    {
        if (OperatingSystem.IsLinux())
        {
            // On Linux a nice value belongs to a thread (its id, not the process id, is "who"); raising one needs
            // no privilege. .NET's Thread.Priority does nothing there.
            _ = SetPriority(PriorityProcess, GetThreadId(), HashNice);
        }
        else
        {
            Thread.CurrentThread.Priority = ThreadPriority.Lowest;
        }
    }

    private const int PriorityProcess = 0;

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
