using System.Globalization;

namespace Bridge.Auth;

/// <summary>Answers a <see cref="PasswordCheckRefusedException"/> with its status, <c>Retry-After</c> and a JSON body.</summary>
internal sealed partial class PasswordCheckRefusalMiddleware(RequestDelegate next, ILogger<PasswordCheckRefusalMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (PasswordCheckRefusedException refused) when (!context.Response.HasStarted)
        {
            LogRefused(logger, context.Request.Path, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", refused.StatusCode, refused.Message);
            context.Response.Clear();
            context.Response.StatusCode = refused.StatusCode;
            // Whole seconds, rounded up: a client that waits exactly that long is let in.
            var seconds = Math.Max(1, (long)Math.Ceiling(refused.RetryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            var id = refused.StatusCode == StatusCodes.Status429TooManyRequests ? "TooManyRequestsError" : "ServiceUnavailableError";
            await context.Response.WriteAsJsonAsync(new ApiError(id, refused.Message), context.RequestAborted);
        }
    }

    [LoggerMessage(EventId = 3030, EventName = "PasswordCheckRefused", Level = LogLevel.Warning,
        Message = "Password check on {Path} from {Address} refused with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, PathString path, string address, int status, string reason);
}
