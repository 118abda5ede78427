namespace Bridge.Client.Channels;

/// <summary>The server answered a request with <c>{"handler":"error","params":{"code":...,"message":...}}</c>.</summary>
public sealed class ChannelErrorException : Exception
{
    public ChannelErrorException(string? resource, string code, string serverMessage, string? request)
        : base($"{code}: {serverMessage}")
    {
        Resource = resource;
        Code = code;
        ServerMessage = serverMessage;
        Request = request;
    }

    public ChannelErrorException()
        : this(null, "unknown", "unknown error", null)
    {
    }

    public ChannelErrorException(string message)
        : this(null, "unknown", message, null)
    {
    }

    public ChannelErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "unknown";
        ServerMessage = message;
    }

    public string? Resource { get; }

    /// <summary>The machine-readable code, e.g. <c>invalid_filter</c>, <c>not_supported</c>, <c>unknown_resource</c>.</summary>
    public string Code { get; }

    public string ServerMessage { get; }

    /// <summary>The handler of the request the server refused (<c>query</c>, <c>watch</c>, ...), when it says.</summary>
    public string? Request { get; }
}
