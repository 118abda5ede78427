using System.ComponentModel.DataAnnotations;

namespace Bridge.Auth;

/// <summary>Token settings under <c>Bridge:Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Bridge:Auth";

    public const int MinimumSigningKeyBytes = 32;

    /// <summary>
    /// HS256 key, base64, at least 32 bytes. When absent a key is generated once and kept in the data
    /// directory (<c>signing-key</c>) so that tokens survive restarts. Instances that share tokens must share it.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>How long an issued token stays valid. Long by default: clients reconnect with the same token.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00",
        ErrorMessage = "Bridge:Auth:TokenMaxAge must be between {1} and {2}.")]
    public TimeSpan TokenMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How far past its expiry (or before its start) a token is still accepted, for clock drift between
    /// instances. Small on purpose: the JWT library's 5-minute default (30 s in earlier versions of this bridge)
    /// kept a revoked session alive that long (issue 11, item 8).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00",
        ErrorMessage = "Bridge:Auth:ClockSkew must be between {1} and {2}.")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Wrong passwords one client address may send per <see cref="FailedPasswordWindow"/>; past it every password
    /// check from that address answers 429 with <c>Retry-After</c> until the window ends. Successes do not count.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Bridge:Auth:FailedPasswordsPerAddress must be between {1} and {2}.")]
    public int FailedPasswordsPerAddress { get; set; } = 10;

    /// <summary>
    /// Wrong passwords one account may receive per window, from all addresses together (a guesser spread over
    /// many addresses). Higher than the per-address limit, so one guessing address does not lock the owner out.
    /// Names that are no account share one such budget.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Bridge:Auth:FailedPasswordsPerAccount must be between {1} and {2}.")]
    public int FailedPasswordsPerAccount { get; set; } = 30;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Bridge:Auth:FailedPasswordWindow must be between {1} and {2}.")]
    public TimeSpan FailedPasswordWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Password hashes (PBKDF2, about 150 ms of one core each) computed at once. The rest wait in a queue, so
    /// that no amount of password traffic can take more cores than this from the connections.
    /// </summary>
    [Range(1, 64, ErrorMessage = "Bridge:Auth:MaxConcurrentPasswordChecks must be between {1} and {2}.")]
    public int MaxConcurrentPasswordChecks { get; set; } = 1;

    /// <summary>Password checks that may wait for a hash slot; one more is answered 503 at once.</summary>
    [Range(0, 10_000, ErrorMessage = "Bridge:Auth:PasswordCheckQueueLimit must be between {1} and {2}.")]
    public int PasswordCheckQueueLimit { get; set; } = 32;

    /// <summary>How long a password check may wait for a hash slot before it is answered 503 with <c>Retry-After</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ErrorMessage = "Bridge:Auth:PasswordCheckQueueTimeout must be between {1} and {2}.")]
    public TimeSpan PasswordCheckQueueTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
