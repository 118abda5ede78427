namespace Bridge.Native.Mongo;

/// <summary>
/// An error reported by libmongoc or libbson, with the driver's <c>bson_error_t</c> domain, code and message.
/// With error API version 2, server errors have <see cref="Domain"/> <see cref="ServerDomain"/> and the server's code.
/// </summary>
public sealed class MongoException(uint domain, uint code, string message)
    : Exception($"{message} (libmongoc domain {domain}, code {code})")
{
    /// <summary>MONGOC_ERROR_STREAM: the connection failed.</summary>
    public const uint StreamDomain = 2;

    /// <summary>MONGOC_ERROR_COMMAND: a command failed on the client side (with error API 1 also the server's errors).</summary>
    public const uint CommandDomain = 11;

    /// <summary>MONGOC_ERROR_SERVER_SELECTION: no suitable server within serverSelectionTimeoutMS.</summary>
    public const uint ServerSelectionDomain = 15;

    /// <summary>MONGOC_ERROR_SERVER: the server answered with an error (code = the server's code).</summary>
    public const uint ServerDomain = 17;

    /// <summary>MONGOC_ERROR_WRITE_CONCERN.</summary>
    public const uint WriteConcernDomain = 16;

    /// <summary>The server's code for a duplicate key.</summary>
    public const uint DuplicateKeyCode = 11000;

    public uint Domain { get; } = domain;

    public uint Code { get; } = code;

    /// <summary>The driver's message alone, without domain and code.</summary>
    public string DriverMessage { get; } = message;

    /// <summary>True when the error says the server could not be reached (rather than refusing the operation).</summary>
    public bool IsConnectivityError => Domain is StreamDomain or ServerSelectionDomain;

    internal static MongoException From(in BsonError error) => new(error.Domain, error.Code, error.MessageText);
}
