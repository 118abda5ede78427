using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;

namespace Bridge.Connections;

/// <summary>
/// The upgraded connection's byte stream as the WebSocket sees it, with the client's frame headers read as they
/// pass (RFC 6455 §5.2). A data frame whose header announces more than the message limit (alone, or added to the
/// earlier fragments of its message) is refused the moment its header arrives: the guard writes a close frame
/// 1009 itself and ends the stream. Without it the WebSocket hands the payload over as it comes and the limit in
/// <see cref="WebSocketConnection"/> can only act after a limit's worth of bytes has been received (issue 11,
/// item 11: a header announcing 2^40 bytes was closed only after ~128 KB).
/// </summary>
/// <remarks>
/// Only headers are parsed; payload bytes are skipped by count, never copied. Everything else about the framing
/// (masking, reserved bits, opcodes, control frames) is left to the WebSocket, which refuses violations itself.
/// </remarks>
internal sealed partial class FrameLengthGuardStream(Stream inner, long maxMessageBytes, TimeSpan closeTimeout, ILogger logger) : Stream
{
    // RFC 6455 §5.5: a control frame's payload, the close reason included, is at most 125 bytes.
    private const int MaxCloseReasonBytes = 123;
    private static readonly TimeSpan CloseWriteTimeout = TimeSpan.FromSeconds(1);

    // After the close frame: a client that sends nothing for this long has nothing left in flight, so closing the
    // socket then cannot reset it (a silent client is let go at once, a slow one is read to its end).
    private static readonly TimeSpan QuietBeforeClose = TimeSpan.FromMilliseconds(500);

    // Writes come from the WebSocket's send loop (one frame per write) and from the refusal below: never interleaved.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _header = new byte[14];
    private int _headerBytes;
    private long _payloadLeft;
    private long _messageBytes;
    private volatile bool _refused;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_refused)
        {
            return 0;
        }

        var read = await inner.ReadAsync(buffer, cancellationToken);
        if (read > 0 && Inspect(buffer.Span[..read]) is { } announced)
        {
            await RefuseAsync(announced);
            throw new IOException($"a frame announced a message of {announced} bytes, above the limit of {maxMessageBytes}; closed with 1009");
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            // After the refusal's close frame nothing else may follow on the wire.
            if (_refused)
            {
                throw new IOException("the connection was closed: a frame exceeded the message limit");
            }

            await inner.WriteAsync(buffer, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    // The WebSocket reads and writes asynchronously only; a synchronous path would bypass the guard.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _writeLock.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Follows the frames in <paramref name="bytes"/>; the announced message size when a data frame goes over the limit.</summary>
    internal long? Inspect(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_payloadLeft > 0)
            {
                var skipped = (int)Math.Min(_payloadLeft, bytes.Length - i);
                i += skipped;
                _payloadLeft -= skipped;
                continue;
            }

            _header[_headerBytes++] = bytes[i++];
            if (_headerBytes < HeaderLength())
            {
                continue;
            }

            _headerBytes = 0;
            _payloadLeft = PayloadLength();
            switch (_header[0] & 0x0F)
            {
                case 0x1 or 0x2:
                    _messageBytes = _payloadLeft;
                    break;
                case 0x0:
                    _messageBytes = _payloadLeft > long.MaxValue - _messageBytes ? long.MaxValue : _messageBytes + _payloadLeft;
                    break;
                default:
                    // Control frames (and opcodes the WebSocket will refuse) do not count towards a message.
                    continue;
            }

            if (_messageBytes > maxMessageBytes)
            {
                return _messageBytes;
            }
        }

        return null;
    }

    private int HeaderLength()
    {
        if (_headerBytes < 2)
        {
            return 2;
        }

        var extended = (_header[1] & 0x7F) switch
        {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        var mask = (_header[1] & 0x80) != 0 ? 4 : 0;
        return 2 + extended + mask;
    }

    private long PayloadLength()
    {
        var length = _header[1] & 0x7F;
        return length switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2)),
            127 => (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2)), long.MaxValue),
            _ => length,
        };
    }

    private async Task RefuseAsync(long announced)
    {
        LogRefused(logger, announced, maxMessageBytes);
        if (!await _writeLock.WaitAsync(CloseWriteTimeout))
        {
            // The send loop is stuck on this client's network: the connection ends without a close frame.
            _refused = true;
            return;
        }

        try
        {
            _refused = true;
            using (var timeout = new CancellationTokenSource(CloseWriteTimeout))
            {
                await inner.WriteAsync(CloseFrame($"message exceeds {maxMessageBytes} bytes"), timeout.Token);
                await inner.FlushAsync(timeout.Token);
            }

            await DiscardUntilClientStopsAsync();
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone, or went quiet after the close frame: nothing more to tell it or to read.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Reads and drops what the client still sends (the refused payload, its close frame) until it closes its side,
    /// sends nothing for <see cref="QuietBeforeClose"/>, or the connection's close timeout has passed. A socket closed
    /// with unread bytes in its receive buffer is reset, and a reset makes the client's TCP stack drop the close frame
    /// it has not read yet: the 1009 was lost that way whenever the connection ended before the client had read it
    /// (every time once the send loop was tried inline: issue 17, docs/benchmarks.md; and on a loaded machine while a
    /// fixed 1 s ended the reading before a slow client had sent the rest of its 70 KB).
    /// </summary>
    private async Task DiscardUntilClientStopsAsync()
    {
        var scratch = ArrayPool<byte>.Shared.Rent(4096);
        using var overall = new CancellationTokenSource(closeTimeout);
        try
        {
            while (true)
            {
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                quiet.CancelAfter(QuietBeforeClose);
                if (await inner.ReadAsync(scratch, quiet.Token) == 0)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>An unmasked server close frame with status 1009 and <paramref name="reason"/>.</summary>
    internal static byte[] CloseFrame(string reason)
    {
        var reasonBytes = Encoding.UTF8.GetBytes(reason);
        var length = Math.Min(reasonBytes.Length, MaxCloseReasonBytes);
        var frame = new byte[4 + length];
        frame[0] = 0x88;
        frame[1] = (byte)(2 + length);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)WebSocketCloseStatus.MessageTooBig);
        reasonBytes.AsSpan(0, length).CopyTo(frame.AsSpan(4));
        return frame;
    }

    [LoggerMessage(EventId = 4050, EventName = "FrameTooBig", Level = LogLevel.Warning,
        Message = "A WebSocket frame header announced a message of {Announced} bytes, above the limit of {Limit}: closed with 1009 before its payload")]
    private static partial void LogRefused(ILogger logger, long announced, long limit);
}
