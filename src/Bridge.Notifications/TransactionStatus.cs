using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bridge.Notifications;

/// <summary>
/// A <see cref="TransactionMessage"/> as a producer writes one (seed 003, "Send webhook statuses"), serialized by
/// generated code (<see cref="NotificationsJsonContext"/>) in the seed's field order, nulls written.
/// </summary>
/// <param name="Type">Always <see cref="TransactionMessage.Type"/>.</param>
/// <param name="SubType">The message's sub-type, or null.</param>
/// <param name="Id">The transaction's id.</param>
/// <param name="Status">One of <see cref="TransactionMessage.Statuses"/>.</param>
/// <param name="Message">What the status line says.</param>
/// <param name="TsDisplay">Unix seconds to show.</param>
/// <param name="TsStarted">Unix seconds when the transaction started.</param>
/// <param name="TsCompleted">Unix seconds when it completed, 0 until then.</param>
/// <param name="OnStep">The step it is on.</param>
/// <param name="TotalSteps">Its number of steps.</param>
/// <param name="By">Who runs it.</param>
internal sealed record TransactionStatus(
    string Type,
    string? SubType,
    string Id,
    string Status,
    string? Message,
    long TsDisplay,
    long TsStarted,
    long TsCompleted,
    int OnStep,
    int TotalSteps,
    string? By)
{
    public JsonObject ToJsonObject() => JsonSerializer.SerializeToNode(this, NotificationsJsonContext.Default.TransactionStatus)!.AsObject();
}
