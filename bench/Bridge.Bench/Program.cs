using Bridge.Bench;

// `serve-ceiling` is how the bench starts its own broker-less Kestrel server as a child process.
if (args.Length > 0 && args[0] == CeilingServer.Command)
{
    return await CeilingServer.RunAsync(args[1..]);
}

// `serve-signalr` starts the .NET peer (a SignalR hub fed by RabbitMQ) as a child process.
if (args.Length > 0 && args[0] == SignalRPeerServer.Command)
{
    return await SignalRPeerServer.RunAsync(args[1..]);
}

// `hold-connections` is one of the client processes of the many-connections run.
if (args.Length > 0 && args[0] == ConnectionHolder.Command)
{
    return await ConnectionHolder.RunAsync(args[1..]);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await BenchRunner.RunAsync(options, cancellation.Token);
