namespace Bridge.Auth;

/// <summary>Who is on the other end of a request or connection.</summary>
public sealed record Caller(string Name, bool IsAdmin)
{
    /// <summary>A connection admitted without credentials where configuration allows it.</summary>
    public static Caller Anonymous { get; } = new("anonymous", false);
}
