using System.Text.Json;

namespace Bridge.Json;

/// <summary>
/// A text <see cref="UntrustedJson"/> refused. The message is meant for the client: it says what is wrong and
/// at which byte, and never echoes more than a short piece of the input.
/// </summary>
public sealed class UntrustedJsonException(UntrustedJsonProblem problem, string message, long bytePosition, Exception? inner = null)
    : JsonException(message, inner)
{
    public UntrustedJsonProblem Problem { get; } = problem;

    /// <summary>Offset in the UTF-8 input where the problem starts.</summary>
    public long BytePosition { get; } = bytePosition;
}
