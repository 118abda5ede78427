namespace Bridge.Ledger;

/// <summary>
/// A request that cannot be answered with a result. <see cref="Name"/> and <see cref="Exception.Message"/> end up as
/// <c>"message":"&lt;Name&gt;: &lt;Message&gt;"</c> and in <c>data</c>, as five-bells reports its JavaScript errors.
/// </summary>
internal sealed class RpcException(int code, string name, string message, ValidationError? validationError = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Name { get; } = name;

    public ValidationError? ValidationError { get; } = validationError;

    public static RpcException Rpc(int code, string message) => new(code, "RpcError", message);
}
