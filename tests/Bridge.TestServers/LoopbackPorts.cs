using System.Net;
using System.Net.Sockets;

namespace Bridge.TestServers;

/// <summary>Free loopback ports, and waiting for a process to listen on one.</summary>
public static class LoopbackPorts
{
    /// <summary><paramref name="count"/> distinct ports that were free a moment ago (all held at once while chosen, so none repeats).</summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(listener => listener.Start());
            return [.. listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(listener => listener.Stop());
        }
    }

    /// <summary>Returns once something accepts connections on <paramref name="port"/>; throws as soon as <paramref name="hasExited"/> says the process that should listen is gone.</summary>
    public static async Task WaitForListenerAsync(int port, Func<bool> hasExited, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (hasExited())
            {
                throw new InvalidOperationException($"the process that should listen on port {port} exited");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
