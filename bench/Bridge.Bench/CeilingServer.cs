using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace Bridge.Bench;

/// <summary>
/// The ceiling: what Kestrel itself can push to N WebSocket clients on this machine with no broker and no
/// protocol work. A publisher in the server process stamps each message into a pre-encoded channel frame
/// (the same bytes the bridge sends for an <c>mq</c> watch) once, and queues that one buffer to every
/// connection; each connection has one send loop, as in the bridge. Run as a child process of the bench
/// (<c>serve-ceiling --port N</c>) so that, like the bridge, it does not share the clients' process.
/// </summary>
public static class CeilingServer
{
    public const string Command = "serve-ceiling";

    private static readonly byte[] FramePrefix = System.Text.Encoding.UTF8.GetBytes(
        $$"""{"handler":"item","resource":"mq","id":"{{SubscriberFleet.RoutingKey}}","data":""");

    public static async Task<int> RunAsync(string[] args)
    {
        var port = args.Length == 2 && args[0] == "--port" ? int.Parse(args[1], CultureInfo.InvariantCulture) : throw new ArgumentException("usage: serve-ceiling --port N");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var app = builder.Build();
        var connections = new ConcurrentDictionary<CeilingConnection, bool>();

        app.UseWebSockets();
        app.MapGet("/ready", () => "ready");
        app.MapGet("/ws", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var connection = new CeilingConnection(socket);
            connections[connection] = true;
            connection.Send("""{"handler":"session","id":"ceiling"}"""u8.ToArray());
            try
            {
                await connection.RunAsync(context.RequestAborted);
            }
            finally
            {
                connections.TryRemove(connection, out _);
            }
        });
        app.MapPost("/broadcast", async (int count, int size, double rate, CancellationToken cancellationToken) =>
        {
            var template = FrameTemplate(size);
            var members = connections.Keys.ToArray();
            var started = Stopwatch.GetTimestamp();
            for (var seq = 0; seq < count; seq++)
            {
                if (rate > 0)
                {
                    await Pacing.WaitForSlotAsync(started, seq, rate, cancellationToken);
                }

                var frame = (byte[])template.Clone();
                PayloadFormat.Stamp(frame, FramePrefix.Length, seq, Stopwatch.GetTimestamp());
                foreach (var member in members)
                {
                    member.Send(frame);
                }
            }

            return Results.Ok(members.Length);
        });

        await app.RunAsync();
        return 0;
    }

    private static byte[] FrameTemplate(int payloadSize)
    {
        var payload = PayloadFormat.Template(payloadSize);
        var frame = new byte[FramePrefix.Length + payload.Length + 1];
        FramePrefix.CopyTo(frame, 0);
        payload.CopyTo(frame, FramePrefix.Length);
        frame[^1] = (byte)'}';
        return frame;
    }

    private sealed class CeilingConnection(WebSocket socket)
    {
        private readonly Channel<ReadOnlyMemory<byte>> _outgoing = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

        public void Send(ReadOnlyMemory<byte> frame) => _outgoing.Writer.TryWrite(frame);

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var sending = SendLoopAsync(cancellationToken);
            try
            {
                while (true)
                {
                    // A zero-byte read: an idle connection holds no receive buffer.
                    var result = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    var scratch = new byte[1024];
                    while (!(await socket.ReceiveAsync(scratch.AsMemory(), cancellationToken)).EndOfMessage)
                    {
                    }
                }

                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
            }
            finally
            {
                _outgoing.Writer.TryComplete();
                await sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        private async Task SendLoopAsync(CancellationToken cancellationToken)
        {
            var reader = _outgoing.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var frame))
                {
                    await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                }
            }
        }
    }
}

/// <summary>Publishing at a fixed rate: message <c>n</c> goes out at <c>start + n / rate</c>.</summary>
public static class Pacing
{
    public static async ValueTask WaitForSlotAsync(long started, long seq, double ratePerSecond, CancellationToken cancellationToken)
    {
        var due = started + (long)(seq / ratePerSecond * Stopwatch.Frequency);
        var wait = due - Stopwatch.GetTimestamp();
        if (wait > Stopwatch.Frequency / 1000)
        {
            // Timers are millisecond-grained; at high rates several messages become due per wake-up.
            await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), cancellationToken);
        }
    }
}
