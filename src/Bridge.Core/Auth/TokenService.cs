using System.Security.Cryptography;
using Bridge.Kernel;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Bridge.Auth;

/// <summary>
/// Issues and validates the bridge's tokens: HS256 JWTs with <c>sub</c> = account URI, <c>iss</c> = public
/// URL, <c>name</c>, <c>admin</c>, <c>iat</c>, <c>exp</c>. A token names an account; whether that account
/// still exists and is an admin is read from the current configuration, not from the token.
/// </summary>
public sealed partial class TokenService
{
    public const string SigningKeyFileName = "signing-key";

    // A JWT of ours is a few hundred bytes; refuse to parse anything absurd.
    private const int MaximumTokenLength = 4096;

    private readonly AccountDirectory _accounts;
    private readonly TimeProvider _time;
    private readonly ILogger<TokenService> _logger;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials _signingCredentials;
    private readonly TokenValidationParameters _validation;

    // Tokens are only ever issued and checked by bridges; a little slack covers clock drift between instances.
    private readonly TimeSpan _clockSkew;

    public TokenService(
        AccountDirectory accounts,
        IOptions<AuthOptions> options,
        DataDirectory dataDirectory,
        TimeProvider time,
        ILogger<TokenService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataDirectory);
        _accounts = accounts ?? throw new ArgumentNullException(nameof(accounts));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        MaxAge = options.Value.TokenMaxAge;
        _clockSkew = options.Value.ClockSkew;

        var key = new SymmetricSecurityKey(LoadSigningKey(options.Value.SigningKey, dataDirectory));
        _signingCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256);
        _validation = new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidIssuer = _accounts.PublicUrl,
            ValidateIssuer = true,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            // Unused while LifetimeValidator is set (it applies _clockSkew); zero so nothing falls back to the library's 5 minutes.
            ClockSkew = TimeSpan.Zero,
            // Our own check so that "now" comes from the injected TimeProvider.
            LifetimeValidator = ValidateLifetime,
        };
    }

    public TimeSpan MaxAge { get; }

    public IssuedToken Issue(Account account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var now = _time.GetUtcNow();
        var expiresAt = now + MaxAge;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _accounts.PublicUrl,
            IssuedAt = now.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            SigningCredentials = _signingCredentials,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = _accounts.AccountUri(account.Name),
                ["name"] = account.Name,
                ["admin"] = account.IsAdmin,
            },
        });
        return new IssuedToken(token, expiresAt, MaxAge);
    }

    /// <summary>Authenticated with the token's account as it is configured now, or Rejected with a reason safe to show.</summary>
    public async ValueTask<AuthenticationResult> ValidateAsync(string token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaximumTokenLength)
        {
            return AuthenticationResult.Rejected("Invalid token");
        }

        var validated = await _handler.ValidateTokenAsync(token, _validation);
        if (!validated.IsValid)
        {
            LogTokenInvalid(_logger, validated.Exception?.GetType().Name ?? "unknown");
            return AuthenticationResult.Rejected(validated.Exception switch
            {
                SecurityTokenExpiredException => "token expired",
                SecurityTokenNotYetValidException => "token not yet valid",
                _ => "Invalid token",
            });
        }

        var jwt = (JsonWebToken)validated.SecurityToken;
        return _accounts.TryFindByUri(jwt.Subject ?? "", out var account)
            ? AuthenticationResult.Authenticated(account.ToCaller())
            : AuthenticationResult.Rejected("the token's account no longer exists");
    }

    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is null)
        {
            throw new SecurityTokenNoExpirationException("The token has no expiry.");
        }

        if (now > expires.Value + _clockSkew)
        {
            throw new SecurityTokenExpiredException("The token has expired.") { Expires = expires.Value };
        }

        if (notBefore is not null && now + _clockSkew < notBefore.Value)
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet.") { NotBefore = notBefore.Value };
        }

        return true;
    }

    private byte[] LoadSigningKey(string? configured, DataDirectory dataDirectory)
    {
        if (configured is not null)
        {
            return AuthOptionsValidator.TryDecodeSigningKey(configured, out var key)
                ? key
                : throw new OptionsValidationException(AuthOptions.SectionName, typeof(AuthOptions),
                    [$"{AuthOptions.SectionName}:SigningKey must be base64 of at least {AuthOptions.MinimumSigningKeyBytes} bytes."]);
        }

        var path = dataDirectory.PathFor(SigningKeyFileName);
        if (TryReadKeyFile(path, out var existing))
        {
            return existing;
        }

        // 64 bytes: HMAC-SHA256's block size, the longest key that is used as is.
        var generated = RandomNumberGenerator.GetBytes(64);
        // Written aside and moved into place, so an instance sharing the data directory never reads a half-written key.
        var pending = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(pending, fileOptions))
            {
                writer.Write(Convert.ToBase64String(generated));
            }

            File.Move(pending, path, overwrite: false);
            LogSigningKeyGenerated(_logger, path);
            return generated;
        }
        catch (IOException) when (TryReadKeyFile(path, out var raced))
        {
            // Another instance sharing the data directory got there first: use its key so tokens agree.
            return raced;
        }
        finally
        {
            File.Delete(pending);
        }
    }

    private static bool TryReadKeyFile(string path, out byte[] key)
    {
        key = [];
        if (!File.Exists(path))
        {
            return false;
        }

        return AuthOptionsValidator.TryDecodeSigningKey(File.ReadAllText(path), out key)
            ? true
            : throw new InvalidOperationException(
                $"The signing key file '{path}' does not hold base64 of at least {AuthOptions.MinimumSigningKeyBytes} bytes. " +
                $"Delete it to generate a new key (issued tokens stop working) or set {AuthOptions.SectionName}:SigningKey.");
    }

    [LoggerMessage(EventId = 3010, EventName = "SigningKeyGenerated", Level = LogLevel.Information,
        Message = "Generated a token signing key in {Path}; set Bridge:Auth:SigningKey to share one key between instances")]
    private static partial void LogSigningKeyGenerated(ILogger logger, string path);

    [LoggerMessage(EventId = 3011, EventName = "TokenInvalid", Level = LogLevel.Debug,
        Message = "Token validation failed: {Failure}")]
    private static partial void LogTokenInvalid(ILogger logger, string failure);
}
