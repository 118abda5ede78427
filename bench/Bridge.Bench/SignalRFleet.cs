using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Bridge.Bench;

/// <summary>
/// N clients of the SignalR peer, each a <see cref="HubConnection"/> from Microsoft.AspNetCore.SignalR.Client
/// (WebSockets transport, JSON protocol) that has joined the benchmark group. The message handler reads the
/// same payload stamps the raw WebSocket fleet reads.
/// </summary>
public sealed class SignalRFleet : IDeliveryFleet
{
    private const int ConnectParallelism = 32;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(60);

    private readonly List<HubConnection> _connections = [];
    private volatile DeliveryRun? _run;
    private volatile bool _stopping;
    private long _unexpectedCloses;

    private SignalRFleet()
    {
    }

    public int Count => _connections.Count;

    public long UnexpectedCloses => Interlocked.Read(ref _unexpectedCloses);

    public static async Task<SignalRFleet> ConnectAsync(Uri hubUrl, int count, CancellationToken cancellationToken)
    {
        var fleet = new SignalRFleet();
        try
        {
            using var gate = new SemaphoreSlim(ConnectParallelism);
            var connections = new HubConnection?[count];
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    connections[i] = await fleet.ConnectOneAsync(hubUrl, i, cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }));
            fleet._connections.AddRange(connections!);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    public DeliveryRun Begin(long expected, bool recordLatency)
    {
        var run = new DeliveryRun(expected, recordLatency);
        _run = run;
        return run;
    }

    public void End() => _run = null;

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Task.WhenAll(_connections.Select(async connection =>
        {
            try
            {
                await connection.StopAsync(closing.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }

            await connection.DisposeAsync();
        }));
    }

    private async Task<HubConnection> ConnectOneAsync(Uri hubUrl, int index, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            // WebSockets only, so the negotiate round trip has nothing to choose: the documented way to skip it.
            .WithUrl(hubUrl, HttpTransportType.WebSockets, options => options.SkipNegotiation = true)
            .Build();
        connection.On<string>(BenchHub.MessageMethod, OnMessage);
        connection.Closed += _ =>
        {
            if (!_stopping)
            {
                Interlocked.Increment(ref _unexpectedCloses);
            }

            return Task.CompletedTask;
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            await connection.StartAsync(timeout.Token);
            // The invocation completes once the hub has added the connection to the group.
            await connection.InvokeAsync(nameof(BenchHub.Join), BenchHub.Group, timeout.Token);
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync();
            throw new TimeoutException($"SignalR client {index} at {hubUrl} did not join within {HandshakeTimeout.TotalSeconds} s");
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private void OnMessage(string message)
    {
        var receivedAt = Stopwatch.GetTimestamp();
        if (_run is not { } run)
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(message.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(message, buffer);
            Span<(long Seq, long Timestamp)> found = stackalloc (long, long)[1];
            if (PayloadFormat.Read(buffer.AsSpan(0, length), found) == 1)
            {
                run.OnDelivery(found[0].Seq, found[0].Timestamp, receivedAt);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
