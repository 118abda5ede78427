using System.Diagnostics;
using System.Text;
using Bridge.Observability;

namespace Bridge.UnitTests.Observability;

/// <summary>
/// The <c>traceparent</c> byte reader takes its input from any AMQP producer: random bytes and every one-byte change of
/// a valid header never throw, and a header it accepts is one the runtime's string parser reads the same way.
/// </summary>
public sealed class TraceParentFuzzTests
{
    private const string Valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void RandomBytes_NeverThrow_AndAreAcceptedOnlyInTheHeadersShape()
    {
        var random = new Random(20261202);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 80)];
            random.NextBytes(bytes);

            if (TraceParent.TryParse(bytes, null, out var context))
            {
                // Random bytes that happen to parse must at least have the header's dashes where it has them.
                Assert.True(bytes.Length >= Valid.Length && bytes[2] == '-' && bytes[35] == '-' && bytes[52] == '-', Convert.ToHexString(bytes));
                Assert.NotEqual(default, context);
            }
        }
    }

    [Fact]
    public void EveryOneByteChangeAfterTheVersion_IsEitherRefusedOrReadAsTheRuntimeReadsIt()
    {
        var random = new Random(7);
        var original = Encoding.ASCII.GetBytes(Valid);
        for (var position = 3; position < original.Length; position++)
        {
            for (var i = 0; i < 64; i++)
            {
                var bytes = (byte[])original.Clone();
                bytes[position] = (byte)random.Next(0, 256);

                if (TraceParent.TryParse(bytes, "vendor=1", out var context))
                {
                    var text = Encoding.Latin1.GetString(bytes);
                    Assert.True(ActivityContext.TryParse(text, "vendor=1", isRemote: true, out var expected), $"accepted what the runtime refuses: {text}");
                    Assert.Equal(expected, context);
                }
            }
        }
    }
}
