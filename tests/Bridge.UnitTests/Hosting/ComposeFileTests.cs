using Bridge.Auth;
using Bridge.UnitTests.Architecture;

namespace Bridge.UnitTests.Hosting;

/// <summary>
/// compose/docker-compose.yml (issue 16 §2): its two bridge replicas accept each other's tokens, because both take
/// the one signing key from one place (the <c>x-bridge-environment</c> anchor, fed by compose/.env). There is no
/// Docker engine here to run the file, so this reads it: a replica that set its own key, or none, would sign
/// tokens the other refuses.
/// </summary>
public sealed class ComposeFileTests
{
    private const string Anchor = "x-bridge-environment: &bridge-environment";
    private const string KeyVariable = "Bridge__Auth__SigningKey";

    private static readonly string ComposeFile = Path.Combine(SourceTree.Root, "compose", "docker-compose.yml");

    [Fact]
    public void BothBridgeReplicas_TakeTheSigningKeyFromTheSharedEnvironment()
    {
        var lines = File.ReadAllLines(ComposeFile);
        var shared = Block(lines, Anchor, indent: 2);
        Assert.Contains(shared, line => line.Trim().StartsWith(KeyVariable + ": \"${BRIDGE_SIGNING_KEY:?", StringComparison.Ordinal));

        var replicas = new[] { "bridge1", "bridge2" };
        foreach (var replica in replicas)
        {
            var service = Block(lines, $"  {replica}:", indent: 4);
            var environment = Block(service, "    environment:", indent: 6);
            Assert.Contains("<<: *bridge-environment", environment.Select(static line => line.Trim()));

            // Its own value would override the shared one (a merge key gives way to the mapping's own keys).
            Assert.DoesNotContain(environment, line => line.Contains(KeyVariable, StringComparison.Ordinal));
        }

        // Only the anchor names the key.
        Assert.Single(lines, line => line.Contains(KeyVariable, StringComparison.Ordinal));
    }

    [Fact]
    public void TheComposeEnvironmentFile_HoldsAKeyTheBridgeAccepts()
    {
        var entry = File.ReadAllLines(Path.Combine(SourceTree.Root, "compose", ".env"))
            .Single(static line => line.StartsWith("BRIDGE_SIGNING_KEY=", StringComparison.Ordinal));
        Assert.True(AuthOptionsValidator.TryDecodeSigningKey(entry["BRIDGE_SIGNING_KEY=".Length..], out _),
            $"compose/.env's BRIDGE_SIGNING_KEY is not base64 of at least {AuthOptions.MinimumSigningKeyBytes} bytes");
    }

    /// <summary>The lines under <paramref name="header"/> indented by at least <paramref name="indent"/> spaces (comments and blank lines kept out).</summary>
    private static string[] Block(IReadOnlyList<string> lines, string header, int indent)
    {
        var start = lines.ToList().FindIndex(line => line.TrimEnd() == header);
        Assert.True(start >= 0, $"'{header.Trim()}' is not in {ComposeFile}");
        var prefix = new string(' ', indent);
        return [.. lines.Skip(start + 1)
            .Where(static line => line.Trim().Length > 0)
            .TakeWhile(line => line.StartsWith(prefix, StringComparison.Ordinal) || line.TrimStart().StartsWith('#'))
            .Where(static line => !line.TrimStart().StartsWith('#'))];
    }
}
