using System.Globalization;
using System.Text.Json.Nodes;
using Bridge.Kernel;
using Bridge.Ledger;
using Bridge.Notifications;
using Microsoft.Extensions.Options;

namespace Bridge.Demo;

/// <summary>
/// The demo's other two feeds, so that every dashboard panel is alive on the embedded default (issue 15): each
/// workflow run is also a long-running transaction whose <c>webhook_tx</c> status moves pending → success or error
/// (the operator-notifications panel and history), and a ledger transfer between two demo accounts that is
/// prepared when the run starts and executed or rejected when it ends (the ledger panel).
/// </summary>
internal sealed class DemoTransactions(IOptions<NotificationOptions> notifications, IOptions<LedgerOptions> ledger, LedgerUris uris)
{
    /// <summary>The demo's two ledger accounts: the payer and the payee of every transfer.</summary>
    public static readonly (string Payer, string Payee) Accounts = ("alice", "bob");

    public const string By = "rackhd-demo";

    private readonly string _notificationsExchange = notifications.Value.Exchange;
    private readonly string _ledgerExchange = ledger.Value.Exchange;

    /// <summary>A <c>webhook_tx</c> status of the run's transaction (the routing key is the type: no sub_type).</summary>
    public DemoMessage Status(string transactionId, string status, string message, int onStep, int totalSteps, DateTimeOffset started, DateTimeOffset now, bool completed) =>
        new(_notificationsExchange, TransactionMessage.Type, new TransactionStatus(
            TransactionMessage.Type,
            SubType: null,
            transactionId,
            status,
            message,
            TsDisplay: now.ToUnixTimeSeconds(),
            TsStarted: started.ToUnixTimeSeconds(),
            TsCompleted: completed ? now.ToUnixTimeSeconds() : 0,
            onStep,
            totalSteps,
            By).ToJsonObject());

    /// <summary>
    /// The run's transfer from <see cref="Accounts"/>' payer to its payee in <paramref name="state"/>: <c>prepared</c>
    /// (published as <c>transfer.create</c>), then <c>executed</c> or <c>rejected</c> (<c>transfer.update</c>).
    /// </summary>
    public DemoMessage Transfer(string transferId, decimal amount, string state, DateTimeOffset prepared, DateTimeOffset now)
    {
        var text = amount.ToString("0.00", CultureInfo.InvariantCulture);
        var timeline = new JsonObject
        {
            ["proposed_at"] = IsoTime.Format(prepared),
            ["prepared_at"] = IsoTime.Format(prepared),
        };
        if (state == "executed")
        {
            timeline["executed_at"] = IsoTime.Format(now);
        }
        else if (state == "rejected")
        {
            timeline["rejected_at"] = IsoTime.Format(now);
        }

        var eventName = state == "prepared" ? LedgerEvent.TransferCreate : LedgerEvent.TransferUpdate;
        return new(_ledgerExchange, eventName, new JsonObject
        {
            ["event"] = eventName,
            ["resource"] = new JsonObject
            {
                ["id"] = $"{uris.Base}/transfers/{transferId}",
                ["ledger"] = uris.Base,
                ["debits"] = new JsonArray(new JsonObject { ["account"] = uris.AccountUri(Accounts.Payer), ["amount"] = text, ["authorized"] = true }),
                ["credits"] = new JsonArray(new JsonObject { ["account"] = uris.AccountUri(Accounts.Payee), ["amount"] = text }),
                ["state"] = state,
                ["expires_at"] = IsoTime.Format(prepared + TimeSpan.FromMinutes(10)),
                ["timeline"] = timeline,
            },
        });
    }
}
