namespace Bridge.Channels;

/// <summary>How a resource's broker messages become channel frames.</summary>
public enum WatchFormat
{
    /// <summary>RackHD's database changes: body <c>{"event","record"}</c>, routing key <c>&lt;collection&gt;.&lt;event&gt;.&lt;id&gt;</c>.</summary>
    Waterline,

    /// <summary>Any message: <c>item</c> with the routing key as id and the body as data (as <c>mq</c> does).</summary>
    Raw,
}
