using System.Text;

namespace Bridge.Broker;

/// <summary>The exchange names the bridge accepts: what RabbitMQ accepts, minus the default exchange.</summary>
public static class ExchangeName
{
    /// <summary>Whether <paramref name="exchange"/> can be bound to or published to; <paramref name="error"/> says why not.</summary>
    public static bool IsValid(string? exchange, out string? error)
    {
        if (string.IsNullOrEmpty(exchange))
        {
            // The default exchange routes by queue name: it is not a topic exchange and cannot be bound.
            error = "the exchange name is empty";
            return false;
        }

        if (Encoding.UTF8.GetByteCount(exchange) > TopicPattern.MaxKeyBytes)
        {
            error = $"the exchange name is longer than {TopicPattern.MaxKeyBytes} bytes in UTF-8";
            return false;
        }

        foreach (var c in exchange)
        {
            // AMQP 0-9-1's exchange-name grammar; RabbitMQ is laxer, but these are the names clients can count on.
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                error = $"the exchange name contains '{c}' (allowed: letters, digits, '-', '_', '.', ':')";
                return false;
            }
        }

        error = null;
        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="paramName"/> when <paramref name="exchange"/> is not valid.</summary>
    public static void Validate(string? exchange, string paramName)
    {
        if (!IsValid(exchange, out var error))
        {
            throw new ArgumentException($"Invalid exchange name: {error}.", paramName);
        }
    }

    /// <summary>RabbitMQ predeclares the <c>amq.</c> exchanges and refuses to declare that prefix.</summary>
    public static bool IsPredeclared(string exchange) => exchange.StartsWith("amq.", StringComparison.Ordinal);
}
