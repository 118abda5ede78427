using Microsoft.AspNetCore.SignalR;

namespace Bridge.Bench;

/// <summary>The SignalR peer's one hub: a client joins the benchmark group and from then on receives its messages.</summary>
public sealed class BenchHub : Hub
{
    public const string Path = "/hub";
    public const string Group = "bench";
    public const string MessageMethod = "message";

    public Task Join(string group) => Groups.AddToGroupAsync(Context.ConnectionId, group);
}
