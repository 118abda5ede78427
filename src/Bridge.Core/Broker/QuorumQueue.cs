using RabbitMQ.Client.Exceptions;

namespace Bridge.Broker;

/// <summary>
/// How the shared durable queues are declared: as quorum queues (replicated over the cluster's nodes by Raft),
/// so that a node's death takes none of them down; a classic queue lives on one node and is unusable while it
/// is away. See docs/operations.md, "Quorum queues", for the migration of a classic queue an older bridge made.
/// </summary>
internal static class QuorumQueue
{
    public const string TypeArgument = "x-queue-type";

    /// <summary>Where the migration of a classic queue is described (named in the log line and in <c>/readyz</c>).</summary>
    public const string MigrationDocument = "docs/operations.md#quorum-queues";

    /// <summary>Declare arguments of a quorum queue, plus <paramref name="extra"/>.</summary>
    public static Dictionary<string, object?> Arguments(IEnumerable<KeyValuePair<string, object?>>? extra = null)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal) { [TypeArgument] = "quorum" };
        foreach (var (key, value) in extra ?? [])
        {
            arguments[key] = value;
        }

        return arguments;
    }

    /// <summary>
    /// Whether a declare failed because a queue of that name exists with other arguments (PRECONDITION_FAILED,
    /// 406, "inequivalent arg"): not transient, so it must be reported rather than retried at every caller.
    /// </summary>
    public static bool IsInequivalent(Exception exception, out string reason)
    {
        if (exception is OperationInterruptedException { ShutdownReason: { ReplyCode: 406 } shutdown })
        {
            reason = shutdown.ReplyText;
            return true;
        }

        reason = string.Empty;
        return false;
    }

    /// <summary>What an operator should do about a queue that exists with other arguments.</summary>
    /// <remarks>
    /// RabbitMQ names the first argument that differs, which for a classic queue of an older bridge is often
    /// <c>x-dead-letter-exchange</c> rather than <c>x-queue-type</c>, so the advice does not depend on which.
    /// </remarks>
    public static string Advice(string queue, string reason) =>
        $"durable queue {queue} exists with other arguments than the bridge declares ({reason}), most likely as a classic queue made by an older bridge; it must be a quorum queue: migrate it as {MigrationDocument} says";
}
