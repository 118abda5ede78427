namespace Bridge.Json;

/// <summary>Why <see cref="UntrustedJson"/> refused a text (docs/security.md, "Untrusted input").</summary>
public enum UntrustedJsonProblem
{
    /// <summary>Not JSON at all (the reader's own syntax error).</summary>
    Syntax,

    /// <summary>More nested objects and arrays than the limit allows.</summary>
    TooDeep,

    /// <summary>One object names the same property twice.</summary>
    DuplicateProperty,

    /// <summary>A string that is not Unicode text: invalid UTF-8, or an escaped surrogate without its pair.</summary>
    InvalidString,
}
