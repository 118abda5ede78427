using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Bridge.Auth;
using Bridge.Connections;
using Bridge.Json;

namespace Bridge.Ledger;

/// <summary>
/// The JSON-RPC side of one ledger WebSocket (five-bells-ledger's <c>rpcHandler.js</c>): validates each request,
/// answers it, and keeps the connection's subscriptions. Requests of a connection are handled one at a time.
/// </summary>
internal sealed partial class LedgerRpcSession : IConnectionHandler
{
    private readonly LedgerUris _uris;
    private readonly LedgerSubscriptions _index;
    private readonly bool _strict;
    private readonly ILogger _logger;
    private volatile AccountSubscriptions _subscriptions = AccountSubscriptions.Empty;

    public LedgerRpcSession(WebSocketConnection connection, LedgerUris uris, LedgerSubscriptions index, bool strictFiveBells, ILogger logger)
    {
        Connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _uris = uris ?? throw new ArgumentNullException(nameof(uris));
        _index = index ?? throw new ArgumentNullException(nameof(index));
        _strict = strictFiveBells;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    public WebSocketConnection Connection { get; }

    public Caller Caller => Connection.Caller;

    /// <summary>The current subscriptions (read by the broker's dispatch thread).</summary>
    public AccountSubscriptions Subscriptions => _subscriptions;

    public ValueTask HandleMessageAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, CancellationToken cancellationToken)
    {
        Connection.TrySend(Answer(message));
        return ValueTask.CompletedTask;
    }

    /// <summary>Drops every subscription (the connection is closing).</summary>
    public void Close()
    {
        var previous = _subscriptions;
        _subscriptions = AccountSubscriptions.Empty;
        _index.Remove(this, previous);
    }

    /// <summary>The answer to one message: a result or an error, never nothing.</summary>
    public byte[] Answer(ReadOnlyMemory<byte> message)
    {
        JsonDocument document;
        try
        {
            document = UntrustedJson.ParseDocument(message);
        }
        catch (UntrustedJsonException refused)
        {
            return ErrorFrame(null, new RpcException(RpcErrorCodes.SyntaxError, "SyntaxError", DescribeRefusal(message, refused)));
        }

        using (document)
        {
            JsonElement? id = null;
            try
            {
                var request = document.RootElement;
                if (RpcRequestValidator.Validate(request) is { } problem)
                {
                    throw new RpcException(RpcErrorCodes.InvalidRequest, "RpcError", "Invalid Request", problem);
                }

                var requestId = request.GetProperty("id");
                if (requestId.ValueKind == JsonValueKind.Null)
                {
                    throw RpcException.Rpc(RpcErrorCodes.InvalidId, "Invalid id");
                }

                id = requestId;
                var method = request.GetProperty("method").GetString()!;
                JsonElement? parameters = request.TryGetProperty("params", out var p) ? p : null;
                var result = method switch
                {
                    "subscribe_account" => SubscribeAccount(parameters),
                    "subscribe_all_accounts" => SubscribeAllAccounts(parameters),
                    "unsubscribe_account" when !_strict => UnsubscribeAccount(parameters),
                    "unsubscribe_all_accounts" when !_strict => UnsubscribeAllAccounts(),
                    _ => throw RpcException.Rpc(RpcErrorCodes.UnknownMethod, "Unknown method: " + method),
                };
                return RpcFrames.Result(requestId, result);
            }
            catch (RpcException error)
            {
                return ErrorFrame(id, error);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Never a crash and never silence: the client gets a 50000 and the log gets the details.
                LogUnexpected(_logger, Connection.Id, exception);
                return ErrorFrame(id, new RpcException(RpcErrorCodes.InternalError, "InternalError", "the request could not be processed"));
            }
        }
    }

    /// <summary>
    /// Text V8 would refuse gets V8's own words (five-bells' clients may show them); what V8 would accept but the
    /// bridge refuses (too deep, a duplicate name, a string that is not Unicode text) gets the reader's precise reason.
    /// </summary>
    private static string DescribeRefusal(ReadOnlyMemory<byte> message, UntrustedJsonException refused) =>
        refused.Problem == UntrustedJsonProblem.Syntax
            ? JavaScriptJsonErrors.Describe(Encoding.UTF8.GetString(message.Span)) ?? refused.Message
            : refused.Message;

    // Every request gets an answer: should the id itself not be writable, the answer says "id":null as for a
    // request whose id was never read (the parser refuses such ids today; this is the last line of defence).
    private byte[] ErrorFrame(JsonElement? id, RpcException error)
    {
        // Every refused request is counted in bridge_client_errors_total by its code.
        Connection.Metrics.ClientError(error.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            return RpcFrames.Error(id, error);
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            LogUnexpected(_logger, Connection.Id, exception);
            return RpcFrames.Error(null, error);
        }
    }

    private int SubscribeAccount(JsonElement? parameters)
    {
        var (eventType, accounts) = ReadAccountParams(parameters, eventTypeRequired: true);
        var names = ResolveAccounts(accounts);
        var replaced = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            replaced[name] = eventType!;
        }

        Replace(new AccountSubscriptions(replaced, []));
        return accounts.GetArrayLength();
    }

    private int SubscribeAllAccounts(JsonElement? parameters)
    {
        var parametersObject = RequireParams(parameters, "eventType");
        var eventType = ReadEventType(parametersObject, required: true);
        if (!Caller.IsAdmin)
        {
            throw RpcException.Rpc(RpcErrorCodes.Unauthorized, "Not authorized");
        }

        var current = _subscriptions;
        Replace(current with { AllAccounts = [.. current.AllAccounts, eventType!] });
        return 1;
    }

    private int UnsubscribeAccount(JsonElement? parameters)
    {
        var (_, accounts) = ReadAccountParams(parameters, eventTypeRequired: false);
        var names = ResolveAccounts(accounts);
        var current = _subscriptions;
        var remaining = new Dictionary<string, string>(current.Accounts, StringComparer.Ordinal);
        var removed = names.Distinct().Count(remaining.Remove);
        Replace(current with { Accounts = remaining });
        return removed;
    }

    private int UnsubscribeAllAccounts()
    {
        if (!Caller.IsAdmin)
        {
            throw RpcException.Rpc(RpcErrorCodes.Unauthorized, "Not authorized");
        }

        var current = _subscriptions;
        Replace(current with { AllAccounts = [] });
        return current.AllAccounts.Count;
    }

    private void Replace(AccountSubscriptions next)
    {
        var previous = _subscriptions;
        _index.Update(this, previous, next);
        _subscriptions = next;
    }

    private (string? EventType, JsonElement Accounts) ReadAccountParams(JsonElement? parameters, bool eventTypeRequired)
    {
        var parametersObject = RequireParams(parameters, eventTypeRequired ? "eventType" : "accounts");
        var eventType = ReadEventType(parametersObject, eventTypeRequired);
        if (parametersObject.ValueKind != JsonValueKind.Object
            || !parametersObject.TryGetProperty("accounts", out var accounts)
            || accounts.ValueKind != JsonValueKind.Array)
        {
            throw RpcException.Rpc(RpcErrorCodes.InvalidParams, "Invalid params");
        }

        return (eventType, accounts);
    }

    // five-bells reads params.eventType without checking params: no params at all is its TypeError (50000).
    private static JsonElement RequireParams(JsonElement? parameters, string firstMember) =>
        parameters ?? throw new RpcException(RpcErrorCodes.InternalError, "TypeError",
            $"Cannot read properties of undefined (reading '{firstMember}')");

    private string? ReadEventType(JsonElement parameters, bool required)
    {
        if (parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("eventType", out var eventType))
        {
            return eventType.ValueKind == JsonValueKind.String
                ? eventType.GetString()
                : throw RpcException.Rpc(RpcErrorCodes.InvalidParams, "Invalid params");
        }

        // The contract's extension: LevelOne clients leave the event type out and mean every event.
        if (!required || (!_strict && parameters.ValueKind == JsonValueKind.Object))
        {
            return "*";
        }

        throw RpcException.Rpc(RpcErrorCodes.InvalidParams, "Invalid params");
    }

    /// <summary>
    /// The lower-cased names of <paramref name="accounts"/>, checked all-or-nothing in five-bells' order:
    /// every URI is an account URI of this ledger (40002), every name is valid (40001), then authorization (40300).
    /// </summary>
    private List<string> ResolveAccounts(JsonElement accounts)
    {
        var names = new List<string>(accounts.GetArrayLength());
        foreach (var account in accounts.EnumerateArray())
        {
            if (account.ValueKind != JsonValueKind.String || !_uris.TryParseAccountUri(account.GetString()!, out var name))
            {
                throw RpcException.Rpc(RpcErrorCodes.InvalidAccount, "Invalid account: " + JavaScriptString(account));
            }

            names.Add(name);
        }

        foreach (var name in names)
        {
            if (!LedgerUris.IsValidAccountName(name))
            {
                throw RpcException.Rpc(RpcErrorCodes.InvalidAccountName, "Invalid account name: " + name);
            }
        }

        if (!Caller.IsAdmin)
        {
            foreach (var name in names)
            {
                if (!string.Equals(Caller.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    throw RpcException.Rpc(RpcErrorCodes.Unauthorized, "Not authorized");
                }
            }
        }

        return names;
    }

    // What JavaScript's string concatenation makes of a JSON value (five-bells builds its message that way).
    // Arrays join their elements with commas, nested ones too; walked with a stack of its own rather than by
    // recursion, so the depth of what a client sends never reaches the call stack.
    private static string JavaScriptString(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return JavaScriptScalar(value);
        }

        var text = new StringBuilder();
        var open = new Stack<(JsonElement.ArrayEnumerator Elements, bool First)>();
        open.Push((value.EnumerateArray(), true));
        while (open.TryPop(out var top))
        {
            var (elements, first) = top;
            if (!elements.MoveNext())
            {
                continue;
            }

            // The advanced enumerator goes back on the stack: the next element of this array comes after the current one's text.
            open.Push((elements, false));
            if (!first)
            {
                text.Append(',');
            }

            var element = elements.Current;
            if (element.ValueKind == JsonValueKind.Array)
            {
                open.Push((element.EnumerateArray(), true));
            }
            else if (element.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
            {
                text.Append(JavaScriptScalar(element));
            }
        }

        return text.ToString();
    }

    private static string JavaScriptScalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Object => "[object Object]",
        _ => value.GetRawText(),
    };

    [LoggerMessage(EventId = 8010, EventName = "LedgerRequestFailed", Level = LogLevel.Error,
        Message = "Ledger connection {ConnectionId}: a request failed unexpectedly; the client got a 50000 error")]
    private static partial void LogUnexpected(ILogger logger, Guid connectionId, Exception exception);
}
