using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Bridge.Auth;

/// <summary>
/// PBKDF2-HMAC-SHA256 password hashes in the text form that <c>Bridge:Accounts:N:PasswordHash</c> holds
/// and <c>Bridge hash-password</c> prints.
/// </summary>
internal static class PasswordHasher
{
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256 (about 150 ms on the build machines).</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>Below this a stored hash is refused as too cheap to brute-force.</summary>
    public const int MinimumIterations = 100_000;

    // An upper bound keeps a mistyped hash from turning every login into a multi-second computation.
    private const int MaximumIterations = 10_000_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private const int MinimumSaltBytes = 8;
    private const int MinimumHashBytes = 16;

    public static string Hash(string password) => Create(password).ToString();

    public static PasswordHash Create(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinimumIterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaximumIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new PasswordHash(iterations, salt, Derive(password, salt, iterations, HashBytes));
    }

    /// <summary>Compares in constant time with respect to the password's correctness.</summary>
    public static bool Verify(string password, PasswordHash hash)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(hash);
        var candidate = Derive(password, hash.Salt, hash.Iterations, hash.Hash.Length);
        return CryptographicOperations.FixedTimeEquals(candidate, hash.Hash);
    }

    /// <summary>Parses the text form; on failure <paramref name="error"/> says what is wrong (never the hash itself).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out PasswordHash? hash, [NotNullWhen(false)] out string? error)
    {
        hash = null;
        var parts = (text ?? "").Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            error = $"is not a password hash of the form '{Scheme}$<iterations>$<salt base64>$<hash base64>' (use 'Bridge hash-password')";
            return false;
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations < MinimumIterations || iterations > MaximumIterations)
        {
            error = $"has an iteration count that is not a number between {MinimumIterations} and {MaximumIterations}";
            return false;
        }

        if (!TryDecode(parts[2], out var salt) || salt.Length < MinimumSaltBytes)
        {
            error = $"has a salt that is not base64 of at least {MinimumSaltBytes} bytes";
            return false;
        }

        if (!TryDecode(parts[3], out var derived) || derived.Length < MinimumHashBytes)
        {
            error = $"has a hash that is not base64 of at least {MinimumHashBytes} bytes";
            return false;
        }

        hash = new PasswordHash(iterations, salt, derived);
        error = null;
        return true;
    }

    private static byte[] Derive(string password, byte[] salt, int iterations, int length) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, length);

    private static bool TryDecode(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = null;
            return false;
        }
    }
}
