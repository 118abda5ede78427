using System.Text.Json.Nodes;

namespace Bridge.Client.Ledger;

/// <summary>A JSON-RPC error: <c>{"code":C,"message":"Name: text","data":{"name":..,"message":..}}</c>.</summary>
public sealed class LedgerRpcException : Exception
{
    public LedgerRpcException(int code, string message, JsonObject? data)
        : base(message)
    {
        Code = code;
        ErrorData = data;
    }

    public LedgerRpcException()
        : this(50000, "unknown error", null)
    {
    }

    public LedgerRpcException(string message)
        : this(50000, message, null)
    {
    }

    public LedgerRpcException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = 50000;
    }

    /// <summary>The JSON-RPC code, e.g. 40300 (not authorized) or -32601 (unknown method).</summary>
    public int Code { get; }

    /// <summary>The error's <c>data</c> member (<c>name</c>, <c>message</c>, sometimes <c>validationErrors</c>).</summary>
    public JsonObject? ErrorData { get; }

    internal static LedgerRpcException From(JsonObject error)
    {
        var code = error["code"] is JsonValue value && value.TryGetValue<int>(out var c) ? c : 50000;
        return new LedgerRpcException(code, error["message"]?.ToString() ?? "the ledger reported an error", error["data"]?.DeepClone() as JsonObject);
    }
}
