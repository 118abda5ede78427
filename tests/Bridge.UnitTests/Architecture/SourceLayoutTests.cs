using System.Text.RegularExpressions;

namespace Bridge.UnitTests.Architecture;

/// <summary>
/// What the compiler does not check about the source layout (issue 13): one top-level type per file, named after
/// it, and inside Bridge.Notifications one direction only between its namespaces: the root (history, push)
/// below Webhooks (the record and the emitter), below Subscriptions (the API, the store, the dispatcher).
/// </summary>
public sealed partial class SourceLayoutTests
{
    // Being reworked by another change at the time of the split; listed so that a new exception is a decision.
    private static readonly string[] KnownExceptions = ["src/Bridge.Core/Documents/Mongo/MongoOptions.cs"];

    [Fact]
    public void EverySourceFile_DeclaresOneTopLevelType_NamedAfterIt()
    {
        var misfits = new List<string>();
        foreach (var file in SourceTree.CSharpFiles("src"))
        {
            var relative = Path.GetRelativePath(SourceTree.Root, file).Replace('\\', '/');
            if (KnownExceptions.Contains(relative) || Path.GetFileName(file) == "Program.cs")
            {
                continue;
            }

            var types = TopLevelTypes(File.ReadLines(file));
            var expected = Path.GetFileName(file).Split('.')[0];
            if (types.Count != 1 || types[0] != expected)
            {
                misfits.Add($"{relative}: [{string.Join(", ", types)}]");
            }
        }

        Assert.Empty(misfits);
    }

    [Fact]
    public void TopLevelTypes_FindsEveryKindOfDeclaration_AndSkipsNestedOnes()
    {
        // Guards the test above against passing vacuously.
        string[] source =
        [
            "public sealed record Caller(string Name);",
            "internal static partial class Log",
            "{",
            "    private sealed class Nested;",
            "}",
            "public delegate void DeliveryHandler(in BrokerDelivery delivery);",
            "public readonly record struct BrokerBinding(string Exchange);",
            "internal enum QueueOutcome",
        ];

        Assert.Equal(["Caller", "Log", "DeliveryHandler", "BrokerBinding", "QueueOutcome"], TopLevelTypes(source));
    }

    [Fact]
    public void Webhooks_DoNotUseSubscriptions()
    {
        var above = TypesDeclaredIn("src/Bridge.Notifications/Subscriptions");

        Assert.Empty(Uses("src/Bridge.Notifications/Webhooks", "Bridge.Subscriptions", above));
    }

    [Fact]
    public void NotificationsRoot_UsesNeitherWebhooksNorSubscriptions()
    {
        var above = TypesDeclaredIn("src/Bridge.Notifications/Subscriptions").Concat(TypesDeclaredIn("src/Bridge.Notifications/Webhooks")).ToList();
        var root = SourceTree.CSharpFiles("src/Bridge.Notifications")
            .Where(static file => Path.GetDirectoryName(file) == Path.Combine(SourceTree.Root, "src", "Bridge.Notifications"));

        Assert.Empty(Uses(root, "Bridge.Subscriptions", above).Concat(Uses(root, "Bridge.Webhooks", above)));
    }

    private static List<string> TopLevelTypes(IEnumerable<string> lines) =>
        [.. lines.Select(static line => Declaration().Match(line)).Where(static match => match.Success).Select(static match => match.Groups["name"].Value)];

    private static List<string> TypesDeclaredIn(string folder) =>
        [.. SourceTree.CSharpFiles(folder).Select(static file => Path.GetFileName(file).Split('.')[0])];

    private static IEnumerable<string> Uses(string folder, string forbiddenNamespace, IReadOnlyCollection<string> forbiddenTypes) =>
        Uses(SourceTree.CSharpFiles(folder), forbiddenNamespace, forbiddenTypes);

    private static IEnumerable<string> Uses(IEnumerable<string> files, string forbiddenNamespace, IReadOnlyCollection<string> forbiddenTypes)
    {
        foreach (var file in files)
        {
            var code = SourceTree.CodeOf(file);
            if (code.Contains(forbiddenNamespace, StringComparison.Ordinal))
            {
                yield return $"{Path.GetFileName(file)} names {forbiddenNamespace}";
            }

            foreach (var type in forbiddenTypes.Where(type => Regex.IsMatch(code, $@"\b{type}\b")))
            {
                yield return $"{Path.GetFileName(file)} uses {type}";
            }
        }
    }

    // A declaration at the start of a line: the namespaces are file-scoped, so top-level types are not indented.
    [GeneratedRegex(@"^(?:(?:public|internal|file|static|sealed|abstract|readonly|partial|ref)\s+)*(?:record\s+struct|record\s+class|class|record|struct|interface|enum|delegate\s+[\w<>\[\]?, .]+?)\s+(?<name>\w+)")]
    private static partial Regex Declaration();
}
