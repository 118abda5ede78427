namespace Bridge.Auth;

/// <summary>
/// A password was not checked at all: its sender guessed too often (429) or every hash slot is taken (503).
/// Thrown from wherever a request's credentials are read, before anything was written, and turned into the
/// HTTP answer by <see cref="PasswordCheckRefusalMiddleware"/>, so that every endpoint and WebSocket upgrade
/// that accepts HTTP Basic answers the same way without each of them knowing.
/// </summary>
internal sealed class PasswordCheckRefusedException : Exception
{
    public PasswordCheckRefusedException()
    {
    }

    public PasswordCheckRefusedException(string message)
        : base(message)
    {
    }

    public PasswordCheckRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PasswordCheckRefusedException(int statusCode, TimeSpan retryAfter, string message)
        : base(message)
    {
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    /// <summary>429 (too many wrong passwords) or 503 (password checks saturated).</summary>
    public int StatusCode { get; } = StatusCodes.Status429TooManyRequests;

    public TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(1);
}
