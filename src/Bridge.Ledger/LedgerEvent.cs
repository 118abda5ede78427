using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bridge.Broker;
using Bridge.Json;

namespace Bridge.Ledger;

/// <summary>
/// A ledger event from the broker, checked and ready to send: its event name, the (lower-cased) accounts of
/// this ledger it concerns, and the <c>notify</c> frame, encoded once for every recipient.
/// </summary>
/// <remarks>
/// Producers publish the <c>params</c> of the notification to the ledger exchange with the event name as routing
/// key. A transfer concerns its debit and credit accounts, a message its <c>to</c> account. Null members are
/// dropped before encoding: ilp-plugin-bells checks transfers against five-bells' <c>TransferTemplate</c>
/// schema, which has no nullable members.
/// </remarks>
internal sealed class LedgerEvent
{
    public const string TransferCreate = "transfer.create";
    public const string TransferUpdate = "transfer.update";
    public const string MessageSend = "message.send";

    private LedgerEvent(string eventName, IReadOnlyList<string> accounts, ReadOnlyMemory<byte> frame)
    {
        EventName = eventName;
        Accounts = accounts;
        Frame = frame;
    }

    public string EventName { get; }

    public IReadOnlyList<string> Accounts { get; }

    public ReadOnlyMemory<byte> Frame { get; }

    /// <summary>Checks and encodes one delivery; <paramref name="error"/> says what is wrong with a malformed one.</summary>
    public static bool TryCreate(in BrokerDelivery delivery, LedgerUris uris, [NotNullWhen(true)] out LedgerEvent? ledgerEvent, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(uris);
        ledgerEvent = null;
        var isTransfer = delivery.RoutingKey is TransferCreate or TransferUpdate;
        if (!isTransfer && delivery.RoutingKey != MessageSend)
        {
            error = $"routing key '{delivery.RoutingKey}' is not a ledger event ({TransferCreate}, {TransferUpdate}, {MessageSend})";
            return false;
        }

        JsonObject body;
        try
        {
            if (UntrustedJson.ParseNode(delivery.Body.Span, UntrustedJson.MaxDocumentDepth) is not JsonObject parsed)
            {
                error = "the body is not a JSON object";
                return false;
            }

            body = parsed;
            RemoveNulls(body);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            error = $"the body is not valid JSON: {ex.Message}";
            return false;
        }

        if (body["resource"] is not JsonObject resource)
        {
            error = "'resource' is missing or not an object";
            return false;
        }

        if (body.TryGetPropertyValue("related_resources", out var related) && related is not JsonObject)
        {
            error = "'related_resources' is not an object";
            return false;
        }

        string? eventName = null;
        if (body.TryGetPropertyValue("event", out var eventNode))
        {
            if (eventNode is not JsonValue eventValue || !eventValue.TryGetValue(out eventName)
                || (isTransfer ? eventName is not (TransferCreate or TransferUpdate) : eventName != MessageSend))
            {
                error = $"'event' must be {(isTransfer ? $"{TransferCreate} or {TransferUpdate}" : MessageSend)} for routing key {delivery.RoutingKey}";
                return false;
            }
        }

        var accounts = new List<string>(2);
        if (isTransfer)
        {
            if (!TryReadTransfer(resource, uris, accounts, out var state, out error))
            {
                return false;
            }

            if (eventName is null)
            {
                if (state is null)
                {
                    error = "'event' is missing and the transfer has no 'state' to derive it from";
                    return false;
                }

                eventName = state == "prepared" ? TransferCreate : TransferUpdate;
            }
        }
        else
        {
            if (resource["to"] is not JsonValue to || !to.TryGetValue<string>(out var recipient))
            {
                error = "the message has no 'to' account";
                return false;
            }

            AddAccount(recipient, uris, accounts);
            eventName ??= MessageSend;
        }

        var frame = RpcFrames.Notify(writer =>
        {
            writer.WriteStartObject();
            if (!body.ContainsKey("event"))
            {
                writer.WriteString("event", eventName);
            }

            foreach (var (name, value) in body)
            {
                writer.WritePropertyName(name);
                value!.WriteTo(writer);
            }

            writer.WriteEndObject();
        });
        ledgerEvent = new LedgerEvent(eventName, accounts, frame);
        error = null;
        return true;
    }

    private static bool TryReadTransfer(JsonObject transfer, LedgerUris uris, List<string> accounts, out string? state, [NotNullWhen(false)] out string? error)
    {
        state = null;
        if (transfer.TryGetPropertyValue("state", out var stateNode)
            && (stateNode is not JsonValue stateValue || !stateValue.TryGetValue(out state)))
        {
            error = "the transfer's 'state' is not a string";
            return false;
        }

        foreach (var side in (ReadOnlySpan<string>)["debits", "credits"])
        {
            if (transfer[side] is not JsonArray funds || funds.Count == 0)
            {
                error = $"the transfer's '{side}' is missing or empty";
                return false;
            }

            foreach (var entry in funds)
            {
                if (entry is not JsonObject fund || fund["account"] is not JsonValue account || !account.TryGetValue<string>(out var uri))
                {
                    error = $"an entry of the transfer's '{side}' has no 'account'";
                    return false;
                }

                AddAccount(uri, uris, accounts);
            }
        }

        error = null;
        return true;
    }

    // Accounts of other ledgers are legal in a transfer; they just have no listeners here.
    private static void AddAccount(string uri, LedgerUris uris, List<string> accounts)
    {
        if (uris.TryParseAccountUri(uri, out var name) && !accounts.Contains(name))
        {
            accounts.Add(name);
        }
    }

    // Recursive, but over a payload the parser has bounded to UntrustedJson.MaxDocumentDepth levels.
    private static void RemoveNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Where(member => member.Value is null).Select(member => member.Key).ToList())
                {
                    obj.Remove(name);
                }

                foreach (var (_, value) in obj)
                {
                    RemoveNulls(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RemoveNulls(item);
                }

                break;
        }
    }
}
