using System.Net.Sockets;
using RabbitMQ.Client.Exceptions;

namespace Bridge.Broker;

/// <summary>How the RabbitMQ broker's parts classify and describe the client's exceptions.</summary>
internal static class RabbitMqErrors
{
    // What a connect, declare or bind can fail with while the broker is away or restarting; anything else
    // (a bug, a bad argument) surfaces instead of being retried forever.
    public static bool IsTransient(Exception ex) =>
        ex is BrokerUnreachableException or OperationInterruptedException or ConnectFailureException
            or IOException or SocketException or TimeoutException or BrokerUnavailableException or PublishException
            or ProtocolViolationException or ChannelAllocationException;

    public static string Describe(Exception? ex)
    {
        if (ex is null)
        {
            return "unknown error";
        }

        // BrokerUnreachableException says only "None of the specified endpoints were reachable".
        var innermost = ex;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return ReferenceEquals(innermost, ex) ? ex.Message : $"{ex.Message} ({innermost.Message})";
    }
}
