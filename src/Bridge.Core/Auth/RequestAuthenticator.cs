using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Bridge.Auth;

/// <summary>
/// Reads credentials from an HTTP request (including a WebSocket upgrade request): a token in
/// <c>?token=</c> or <c>Authorization: Bearer</c>, or, where basic is allowed, HTTP Basic.
/// </summary>
/// <remarks>
/// An <c>Authorization</c> header wins over <c>?token=</c>. Basic where it is not allowed, or an unknown
/// scheme, is a rejection rather than "no credentials": a client that sent credentials should learn
/// they were not used, not be let in as anonymous.
/// </remarks>
public sealed partial class RequestAuthenticator(
    PasswordAttemptGuard passwords,
    TokenService tokens,
    ILogger<RequestAuthenticator> logger)
{
    // Basic credentials longer than this are not ours (names are at most 86 characters).
    private const int MaximumBasicLength = 4096;

    /// <exception cref="PasswordCheckRefusedException">HTTP Basic credentials that were not checked (too many wrong passwords, or checks saturated).</exception>
    public async ValueTask<AuthenticationResult> AuthenticateAsync(HttpRequest request, bool allowBasic)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await ReadAsync(request, allowBasic);
        if (result.Outcome == AuthenticationOutcome.Rejected)
        {
            LogRejected(logger, request.Path, result.Reason!);
        }

        return result;
    }

    private ValueTask<AuthenticationResult> ReadAsync(HttpRequest request, bool allowBasic)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 1)
        {
            return ValueTask.FromResult(AuthenticationResult.Rejected("more than one Authorization header"));
        }

        var header = authorization.ToString();
        if (header.Length > 0)
        {
            var space = header.IndexOf(' ', StringComparison.Ordinal);
            var scheme = space < 0 ? header : header[..space];
            var parameter = space < 0 ? "" : header[(space + 1)..].Trim();
            if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            {
                return tokens.ValidateAsync(parameter);
            }

            if (scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
            {
                return allowBasic
                    ? ReadBasicAsync(request.HttpContext, parameter)
                    : ValueTask.FromResult(AuthenticationResult.Rejected("HTTP Basic is not accepted here; use a token"));
            }

            return ValueTask.FromResult(AuthenticationResult.Rejected("unsupported authorization scheme"));
        }

        var query = request.Query["token"];
        if (query.Count > 1)
        {
            return ValueTask.FromResult(AuthenticationResult.Rejected("more than one token parameter"));
        }

        return query.Count == 1 ? tokens.ValidateAsync(query.ToString()) : ValueTask.FromResult(AuthenticationResult.None);
    }

    private async ValueTask<AuthenticationResult> ReadBasicAsync(HttpContext context, string encoded)
    {
        if (!TryDecodeBasic(encoded, out var name, out var password))
        {
            return AuthenticationResult.Rejected("malformed Basic credentials");
        }

        var account = await passwords.VerifyAsync(context.Connection.RemoteIpAddress, name, password, context.RequestAborted);
        return account is null
            ? AuthenticationResult.Rejected("Invalid password")
            : AuthenticationResult.Authenticated(account.ToCaller());
    }

    private static bool TryDecodeBasic(string encoded, out string name, out string password)
    {
        (name, password) = ("", "");
        if (encoded.Length == 0 || encoded.Length > MaximumBasicLength)
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Base64.GetMaxDecodedFromUtf8Length(encoded.Length));
        try
        {
            if (!Convert.TryFromBase64String(encoded, buffer, out var written))
            {
                return false;
            }

            string decoded;
            try
            {
                decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, written);
            }
            catch (DecoderFallbackException)
            {
                return false;
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }

            (name, password) = (decoded[..colon], decoded[(colon + 1)..]);
            return true;
        }
        finally
        {
            // The buffer held a password.
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    [LoggerMessage(EventId = 3020, EventName = "CredentialsRejected", Level = LogLevel.Information,
        Message = "Credentials rejected on {Path}: {Reason}")]
    private static partial void LogRejected(ILogger logger, PathString path, string reason);
}
