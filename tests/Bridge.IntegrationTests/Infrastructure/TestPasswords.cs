using System.Collections.Concurrent;
using Bridge.Auth;

namespace Bridge.IntegrationTests.Infrastructure;

/// <summary>
/// Account passwords for test hosts, given as <c>Bridge:Accounts:N:PasswordHash</c> at the lowest iteration count the
/// bridge accepts. A plain-text <c>Password</c> is hashed at start and checked at the production count (600 000
/// PBKDF2 iterations, about 150 ms of a core per check, one check at a time per host): with many hosts issuing
/// tokens in parallel on two cores the checks queued past the clients' timeouts. The tests that are about password
/// cost (Auth/) keep plain-text passwords on purpose.
/// </summary>
internal static class TestPasswords
{
    private static readonly ConcurrentDictionary<string, string> Hashes = new(StringComparer.Ordinal);

    /// <summary>A PasswordHash setting for <paramref name="password"/>; the same string for the same password in a run.</summary>
    public static string Hash(string password) =>
        Hashes.GetOrAdd(password, p => PasswordHasher.Create(p, PasswordHasher.MinimumIterations).ToString());
}
