using System.Diagnostics;
using System.Text;
using Bridge.Observability;

namespace Bridge.UnitTests.Observability;

/// <summary>
/// The byte reader of <c>traceparent</c> gives the runtime's string parser's context for a valid header, none for a
/// malformed one (W3C trace context, level 1), and builds no string of the header on the way.
/// </summary>
public sealed class TraceParentTests
{
    public static TheoryData<string> ValidHeaders => new()
    {
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    };

    public static TheoryData<string> InvalidHeaders => new()
    {
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "0x-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",
        // Version 00 is exactly 55 characters.
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        // A later version may be longer only by fields after a dash.
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",
        // The runtime's parser does not look at the dashes; the specification requires them.
        "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01",
        "",
        "garbage",
    };

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryParse_OfAValidHeadersBytes_GivesTheContextTheRuntimesStringParserGives(string header)
    {
        Assert.True(ActivityContext.TryParse(header, "vendor=1", isRemote: true, out var expected));

        Assert.True(TraceParent.TryParse(Encoding.UTF8.GetBytes(header), "vendor=1", out var context));
        Assert.Equal(expected, context);
    }

    [Theory]
    [MemberData(nameof(InvalidHeaders))]
    public void TryParse_OfAMalformedHeader_GivesNoContext(string header)
    {
        Assert.False(TraceParent.TryParse(Encoding.UTF8.GetBytes(header), "vendor=1", out var context));
        Assert.Equal(default, context);
    }

    [Fact]
    public void TryParse_OfALaterVersionWithMoreFields_ReadsTheFieldsItKnows()
    {
        // https://www.w3.org/TR/trace-context/#versioning-of-traceparent: a receiver of a higher version reads the
        // first four fields when a dash follows them (the runtime's string parser refuses anything but 55 characters).
        Assert.True(ActivityContext.TryParse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null, isRemote: true, out var expected));

        Assert.True(TraceParent.TryParse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-later"u8, null, out var context));
        Assert.Equal(expected, context);
    }

    [Fact]
    public void TryParse_OfAnAmqpHeaderValue_ReadsBytesMemoryAndStrings_AndTheTraceState()
    {
        const string Header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        ActivityContext.TryParse(Header, "a=1", isRemote: true, out var expected);

        Assert.True(TraceParent.TryParse(Encoding.UTF8.GetBytes(Header), Encoding.UTF8.GetBytes("a=1"), out var fromBytes));
        Assert.True(TraceParent.TryParse(new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(Header)), "a=1", out var fromMemory));
        Assert.True(TraceParent.TryParse(Header, "a=1", out var fromString));
        Assert.False(TraceParent.TryParse(42, null, out var fromNumber));

        Assert.Equal(expected, fromBytes);
        Assert.Equal(expected, fromMemory);
        Assert.Equal(expected, fromString);
        Assert.Equal(default, fromNumber);
    }

    [Fact]
    public void ExtractFromHeaders_OfAHeaderInBytes_AllocatesOnlyTheIdsThemselves()
    {
        // ActivityTraceId and ActivitySpanId hold their hex strings: those two the context cannot do without, but
        // no string of the whole header as well.
        const string Header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var headers = new Dictionary<string, object?> { [BridgeTracing.TraceParentHeader] = Encoding.UTF8.GetBytes(Header) };
        BridgeTracing.ExtractFromHeaders(headers);
        var idsBefore = GC.GetAllocatedBytesForCurrentThread();
        var ids = (ActivityTraceId.CreateFromString(Header.AsSpan(3, 32)), ActivitySpanId.CreateFromString(Header.AsSpan(36, 16)));
        var idBytes = GC.GetAllocatedBytesForCurrentThread() - idsBefore;

        var before = GC.GetAllocatedBytesForCurrentThread();
        var context = BridgeTracing.ExtractFromHeaders(headers);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(ids, (context.TraceId, context.SpanId));
        Assert.True(allocated <= idBytes, $"reading the header allocated {allocated} bytes; its two ids are {idBytes}");
    }
}
