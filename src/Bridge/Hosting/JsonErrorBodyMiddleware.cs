using Bridge.Auth;

namespace Bridge.Hosting;

/// <summary>
/// Every error the HTTP API answers has a JSON body (<c>{"id":..,"message":..}</c>, as <see cref="ApiError"/>), also
/// those the framework produces with an empty one once a request has reached the application: routing's 404 and
/// 405, and Kestrel's <see cref="BadHttpRequestException"/> while a body is read (malformed chunking, a body too
/// large or too slow: 400, 413, 408). Requests Kestrel refuses before the application runs (a malformed request
/// line or header, 414, 431) still get Kestrel's empty answer: it offers no hook for those
/// (aspnet/KestrelHttpServer#2947); docs/security.md lists them.
/// </summary>
internal sealed partial class JsonErrorBodyMiddleware(RequestDelegate next, ILogger<JsonErrorBodyMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException exception) when (!context.Response.HasStarted)
        {
            LogBadRequest(logger, context.Request.Method, context.Request.Path.Value ?? "/", exception.StatusCode, exception.Message);
            await WriteAsync(context, exception.StatusCode, "BadRequestError", exception.Message);
            return;
        }
        catch (Exception exception) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            LogFailed(logger, context.Request.Method, context.Request.Path.Value ?? "/", exception);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, "InternalServerError",
                "the request failed unexpectedly; the error is in the bridge's log");
            return;
        }

        var response = context.Response;
        if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null && response.ContentType is null
            && !HttpMethods.IsHead(context.Request.Method))
        {
            await WriteAsync(context, response.StatusCode, IdFor(response.StatusCode), MessageFor(context));
        }
    }

    private static Task WriteAsync(HttpContext context, int status, string id, string message)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ApiError(id, message), context.RequestAborted);
    }

    private static string IdFor(int status) => status switch
    {
        StatusCodes.Status404NotFound => "NotFoundError",
        StatusCodes.Status405MethodNotAllowed => "MethodNotAllowedError",
        StatusCodes.Status415UnsupportedMediaType => "UnsupportedMediaTypeError",
        < 500 => "BadRequestError",
        _ => "ServerError",
    };

    private static string MessageFor(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => $"nothing is served at {context.Request.Path}",
        StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {context.Request.Path}",
        var status => $"the request was refused with {status}",
    };

    [LoggerMessage(EventId = 1060, EventName = "BadHttpRequest", Level = LogLevel.Information,
        Message = "{Method} {Path} refused with {Status}: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, string method, string path, int status, string reason);

    [LoggerMessage(EventId = 1061, EventName = "HttpRequestFailed", Level = LogLevel.Error,
        Message = "{Method} {Path} failed unexpectedly; the client got a 500 with a JSON body")]
    private static partial void LogFailed(ILogger logger, string method, string path, Exception exception);
}
