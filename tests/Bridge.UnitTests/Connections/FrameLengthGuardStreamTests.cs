using System.Buffers.Binary;
using Bridge.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.UnitTests.Connections;

public sealed class FrameLengthGuardStreamTests
{
    private const int Limit = 1000;

    [Fact]
    public void FramesWithinTheLimit_PassInAnySplit()
    {
        byte[] wire = [.. Frame(0x1, 500), .. Frame(0x9, 10), .. Frame(0x1, 1000), .. Frame(0x2, 0)];
        for (var split = 1; split < 40; split += 3)
        {
            var guard = Guard();
            for (var at = 0; at < wire.Length; at += split)
            {
                Assert.Null(guard.Inspect(wire.AsSpan(at, Math.Min(split, wire.Length - at))));
            }
        }
    }

    [Theory]
    [InlineData(1001)]
    [InlineData(70_000)]
    [InlineData(1L << 40)]
    [InlineData(long.MaxValue)]
    public void AHeaderOverTheLimit_IsCaughtAtTheHeader_EvenByteByByte(long length)
    {
        var guard = Guard();
        var header = Header(0x1, length, fin: true);
        for (var i = 0; i < header.Length - 1; i++)
        {
            Assert.Null(guard.Inspect(header.AsSpan(i, 1)));
        }

        Assert.Equal(length, guard.Inspect(header.AsSpan(header.Length - 1)));
    }

    [Fact]
    public void Continuations_CountTowardsTheirMessage_ControlFramesDoNot()
    {
        var guard = Guard();
        Assert.Null(guard.Inspect([.. Frame(0x1, 600, fin: false), .. Frame(0xA, 100), .. Frame(0x0, 300, fin: false)]));
        Assert.Equal(1100, guard.Inspect(Header(0x0, 200, fin: true)));
    }

    [Fact]
    public void ANewMessage_StartsItsCountAfresh()
    {
        var guard = Guard();
        Assert.Null(guard.Inspect([.. Frame(0x1, 900), .. Frame(0x2, 900), .. Frame(0x1, 900)]));
    }

    [Fact]
    public void TheCloseFrame_Says1009()
    {
        var frame = FrameLengthGuardStream.CloseFrame("message exceeds 1000 bytes");

        Assert.Equal(0x88, frame[0]);
        Assert.Equal(frame.Length - 2, frame[1]);
        Assert.Equal(1009, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)));
    }

    private static FrameLengthGuardStream Guard() => new(Stream.Null, Limit, TimeSpan.FromSeconds(5), NullLogger.Instance);

    private static byte[] Frame(byte opcode, int length, bool fin = true) => [.. Header(opcode, length, fin), .. new byte[length]];

    private static byte[] Header(byte opcode, long length, bool fin)
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

        return header;
    }
}
