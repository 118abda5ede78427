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

    /// <summary>
    /// <paramref name="count"/> distinct free ports below the kernel's ephemeral range (32768 and up on Linux), for
    /// a server that binds them later (another process) or is stopped and started again on the same ports: a port
    /// from the ephemeral range can be taken meanwhile as the local end of any outgoing connection on the machine
    /// (seen: a cluster node's distribution port, "dist_port_already_used ... not_erlang", on its restart; a test
    /// bridge's port, "address already in use", on its first start).
    /// </summary>
    public static int[] FreeForRestarts(int count)
    {
        var chosen = new List<int>(count);
        var listeners = new List<TcpListener>(count);
        try
        {
            while (chosen.Count < count)
            {
                var port = Random.Shared.Next(20000, 32000);
                if (chosen.Contains(port))
                {
                    continue;
                }

                var listener = new TcpListener(IPAddress.Loopback, port);
                try
                {
                    listener.Start();
                }
                catch (SocketException)
                {
                    continue;
                }

                listeners.Add(listener);
                chosen.Add(port);
            }

            return [.. chosen];
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
