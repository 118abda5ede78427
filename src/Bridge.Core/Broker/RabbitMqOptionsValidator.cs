using Microsoft.Extensions.Options;

namespace Bridge.Broker;

/// <summary>What DataAnnotations cannot say: the URI's shape and the order of the retry delays.</summary>
internal sealed class RabbitMqOptionsValidator : IValidateOptions<RabbitMqOptions>
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
