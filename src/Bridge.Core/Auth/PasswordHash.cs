using System.Globalization;

namespace Bridge.Auth;

/// <summary>A parsed <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;hash&gt;</c> password hash.</summary>
internal sealed class PasswordHash
{
    internal PasswordHash(int iterations, byte[] salt, byte[] hash)
    {
        Iterations = iterations;
        Salt = salt;
        Hash = hash;
    }

    public int Iterations { get; }

    internal byte[] Salt { get; }

    internal byte[] Hash { get; }

    public override string ToString() =>
        string.Join('$', PasswordHasher.Scheme, Iterations.ToString(CultureInfo.InvariantCulture),
            Convert.ToBase64String(Salt), Convert.ToBase64String(Hash));
}
