using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Bridge.Broker;

/// <summary>Settings under <c>Bridge:RabbitMq</c>. Setting <see cref="Uri"/> switches the bridge from the in-process broker to RabbitMQ.</summary>
public sealed class RabbitMqOptions
{
    public const string SectionName = "Bridge:RabbitMq";

    /// <summary>The broker, e.g. <c>amqp://user:password@host:5672/vhost</c>; empty means the in-process broker.</summary>
    public string? Uri { get; set; }

    /// <summary>
    /// The nodes of a cluster (<c>Bridge:RabbitMq:Endpoints:0</c>, <c>:1</c>, ...), each <c>amqp://host:port</c>
    /// (credentials and vhost, if given, must match <see cref="Uri"/>, which gives them). Tried in this order;
    /// the connection moves to the next live one when its node dies. Empty: <see cref="Uri"/>'s host only.
    /// </summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>The connection name shown in the management UI and <c>rabbitmqctl list_connections</c>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Bridge:RabbitMq:ClientName must not be empty.")]
    public string ClientName { get; set; } = "bridge";

    /// <summary>Unacknowledged deliveries the broker may push ahead of the bridge's dispatch (basic.qos).</summary>
    [Range(1, ushort.MaxValue, ErrorMessage = "Bridge:RabbitMq:Prefetch must be between {1} and {2}.")]
    public int Prefetch { get; set; } = 1000;

    /// <summary>The first wait between connection attempts at start-up; it doubles (with jitter) up to <see cref="ConnectRetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Bridge:RabbitMq:ConnectRetryDelay must be between {1} and {2}.")]
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between connection attempts at start-up. Attempts go on until the bridge stops.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Bridge:RabbitMq:ConnectRetryMaxDelay must be between {1} and {2}.")]
    public TimeSpan ConnectRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one connection attempt (TCP + AMQP handshake) may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Bridge:RabbitMq:ConnectTimeout must be between {1} and {2}.")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait between the client's automatic recovery attempts after a connection loss.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Bridge:RabbitMq:NetworkRecoveryInterval must be between {1} and {2}.")]
    public TimeSpan NetworkRecoveryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long closing the channels and the connection may take when the bridge stops.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Bridge:RabbitMq:ShutdownTimeout must be between {1} and {2}.")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>What DataAnnotations cannot say: the URI's shape and the order of the retry delays.</summary>
public sealed class RabbitMqOptionsValidator : IValidateOptions<RabbitMqOptions>
{
    public ValidateOptionsResult Validate(string? name, RabbitMqOptions options)
    {
        var failures = new List<string>();
        if (!TryParseAmqp(options.Uri, out var uri))
        {
            uri = null;
            failures.Add("Bridge:RabbitMq:Uri must be an absolute amqp:// or amqps:// URI with a host (e.g. amqp://guest:guest@localhost:5672/).");
        }

        if (uri is not null)
        {
            ValidateEndpoints(options.Endpoints, uri, failures);
        }

        if (options.ConnectRetryMaxDelay < options.ConnectRetryDelay)
        {
            failures.Add("Bridge:RabbitMq:ConnectRetryMaxDelay must not be shorter than Bridge:RabbitMq:ConnectRetryDelay.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // One connection logs in once: an endpoint that names other credentials or another vhost than Uri would be
    // silently ignored, so it is refused instead.
    private static void ValidateEndpoints(List<string> endpoints, Uri uri, List<string> failures)
    {
        for (var index = 0; index < endpoints.Count; index++)
        {
            var key = $"{RabbitMqOptions.SectionName}:Endpoints:{index}";
            if (!TryParseAmqp(endpoints[index], out var endpoint))
            {
                failures.Add($"{key} must be an absolute amqp:// or amqps:// URI with a host (e.g. amqp://rabbit2:5672/).");
                continue;
            }

            if (endpoint.UserInfo.Length > 0 && endpoint.UserInfo != uri.UserInfo)
            {
                failures.Add($"{key} names other credentials than Bridge:RabbitMq:Uri; the credentials come from Bridge:RabbitMq:Uri (leave them out of the endpoint or make them the same).");
            }

            if (endpoint.AbsolutePath is not ("" or "/") && endpoint.AbsolutePath != uri.AbsolutePath)
            {
                failures.Add($"{key} names the vhost '{Uri.UnescapeDataString(endpoint.AbsolutePath.TrimStart('/'))}', Bridge:RabbitMq:Uri another; the vhost comes from Bridge:RabbitMq:Uri.");
            }
        }
    }

    private static bool TryParseAmqp(string? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? uri) =>
        System.Uri.TryCreate(value, UriKind.Absolute, out uri)
            && (uri.Scheme == "amqp" || uri.Scheme == "amqps")
            && !string.IsNullOrEmpty(uri.Host);
}
