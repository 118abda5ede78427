namespace Bridge.Bench;

/// <summary>The two distinct-watch workloads of issue 17 §1: every client watches its own node.</summary>
public enum DistinctWatchVariant
{
    /// <summary>An <c>mq</c> watch on <c>on.logging</c> with routing key <c>&lt;node-N&gt;.#</c>: one binding per client.</summary>
    Mq,

    /// <summary>A <c>catalogs</c> watch with <c>params: {"node": "&lt;node-N&gt;"}</c>: one binding, one filter per client.</summary>
    Catalogs,
}
