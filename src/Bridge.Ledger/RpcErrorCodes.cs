namespace Bridge.Ledger;

/// <summary>Error codes of five-bells-ledger's WebSocket (its <c>rpcHandler.js</c>), plus the JSON-RPC 2.0 ones it uses.</summary>
internal static class RpcErrorCodes
{
    public const int InvalidRequest = -32600;
    public const int UnknownMethod = -32601;
    public const int InvalidParams = -32602;
    public const int SyntaxError = -32700;
    public const int InvalidId = 40000;
    public const int InvalidAccountName = 40001;
    public const int InvalidAccount = 40002;
    public const int Unauthorized = 40300;
    public const int InternalError = 50000;
}
