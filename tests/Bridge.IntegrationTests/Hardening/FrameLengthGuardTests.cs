using System.Buffers.Binary;
using System.Diagnostics;
using Bridge.IntegrationTests.Infrastructure;

namespace Bridge.IntegrationTests.Hardening;

/// <summary>Issue 11, item 11: a frame header announcing more than the message limit is refused from the header alone.</summary>
// Alone, after the parallel tests: they time the close and read it off a raw socket the server shuts right after.
[Collection(TimedBehaviourCollection.Name)]
public sealed class FrameLengthGuardTests(EmbeddedBridgeFixture fixture) : IClassFixture<EmbeddedBridgeFixture>
{
    [Theory]
    [InlineData(1L << 40)]
    [InlineData(64 * 1024 + 1)]
    public async Task AHeaderAnnouncingTooLargeAFrame_IsClosedWith1009_BeforeAnyPayload(long announced)
    {
        await using var connection = await RawConnection.OpenAsync(fixture.Host.BaseUri);
        var head = await connection.UpgradeAsync("/catalogs", fixture.Host.BaseUri.Authority);
        Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        await connection.SendAsync(TextFrameHeader(announced));
        var (bytes, closed) = await connection.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));

        Assert.True(closed, $"the connection is still open {clock.Elapsed.TotalSeconds:F1} s after the header ({bytes.Length} bytes received)");
        Assert.True(bytes.Length >= 4 && bytes[0] == 0x88, $"no close frame first: {Convert.ToHexString(bytes)}");
        Assert.Equal(1009, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"closed only after {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task FragmentsThatTogetherAnnounceTooMuch_AreClosedWith1009_AtTheFragmentThatCrossesTheLimit()
    {
        await using var connection = await RawConnection.OpenAsync(fixture.Host.BaseUri);
        await connection.UpgradeAsync("/catalogs", fixture.Host.BaseUri.Authority);

        // A first fragment of 40 KB (sent whole), then a continuation header announcing another 40 KB.
        var first = TextFrameHeader(40 * 1024, fin: false);
        await connection.SendAsync([.. first, .. new byte[40 * 1024]]);
        await connection.SendAsync(TextFrameHeader(40 * 1024, opcode: 0x0));
        var (bytes, closed) = await connection.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));

        Assert.True(closed, "the connection is still open after the crossing header");
        Assert.Equal(1009, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2)));
    }

    [Fact]
    public async Task AClientStillSendingTheRefusedPayload_IsReadToItsEnd_AndGetsTheCloseFrame()
    {
        await using var connection = await RawConnection.OpenAsync(fixture.Host.BaseUri);
        await connection.UpgradeAsync("/catalogs", fixture.Host.BaseUri.Authority);

        // A slow client: 70 KB announced, the payload sent over about 2.5 s and nothing read meanwhile, as a loaded
        // machine's client does. Ending the connection while its bytes are still arriving resets it (and the reset
        // drops the close frame the client has not read): the bridge reads until the client has gone quiet.
        const int Chunks = 10;
        var chunk = new byte[7 * 1024];
        await connection.SendAsync(TextFrameHeader(Chunks * chunk.Length));
        for (var i = 0; i < Chunks; i++)
        {
            await Task.Delay(250);
            await connection.SendAsync(chunk);
        }

        var (bytes, closed) = await connection.ReadUntilClosedAsync(TimeSpan.FromSeconds(5));

        Assert.True(closed, "the connection is still open after the client went quiet");
        Assert.True(bytes.Length >= 4 && bytes[0] == 0x88, $"no close frame first: {Convert.ToHexString(bytes)}");
        Assert.Equal(1009, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2)));
    }

    [Fact]
    public async Task AFrameWithinTheLimit_IsStillAnswered()
    {
        await using var client = await ChannelClient.ConnectAsync(fixture.WebSocketUri("/catalogs"));

        await client.SendTextAsync("{\"handler\":\"all\",\"params\":{\"limit\":1},\"pad\":\"" + new string('x', 60 * 1024) + "\"}");

        Assert.Equal("list", (string?)(await client.ReceiveAsync())["handler"]);
    }

    /// <summary>A masked client frame header (RFC 6455 §5.2), its length in the shortest form.</summary>
    private static byte[] TextFrameHeader(long length, bool fin = true, byte opcode = 0x1)
    {
        var extended = length < 126 ? 0 : length <= ushort.MaxValue ? 2 : 8;
        var header = new byte[2 + extended + 4];
        header[0] = (byte)((fin ? 0x80 : 0) | opcode);
        header[1] = (byte)(0x80 | extended switch { 0 => (int)length, 2 => 126, _ => 127 });
        if (extended == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)length);
        }
        else if (extended == 8)
        {
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), (ulong)length);
        }

        // A fixed mask: what matters is the header, and payload bytes that unmask to ASCII.
        header.AsSpan(2 + extended).Fill(0x21);
        return header;
    }
}
