namespace Bridge.UnitTests.Architecture;

/// <summary>
/// Which of the bridge's assemblies may reference which (issue 13): the core references no front and not the
/// host; a front references the core only, never another front or the host. The host composes them all.
/// </summary>
internal static class LayerRules
{
    public const string Host = "Bridge";
    public const string Core = "Bridge.Core";

    public static IReadOnlyList<string> Fronts { get; } = ["Bridge.Channels", "Bridge.Ledger", "Bridge.Notifications"];

    /// <summary>Every reference between the bridge's own assemblies that the rules forbid, as "from → to".</summary>
    public static IEnumerable<string> Violations(IReadOnlyDictionary<string, IReadOnlyCollection<string>> references)
    {
        foreach (var (from, targets) in references)
        {
            foreach (var to in targets.Where(target => IsForbidden(from, target)))
            {
                yield return $"{from} → {to}";
            }
        }
    }

    private static bool IsForbidden(string from, string to)
    {
        if (from == to || from == Host)
        {
            return false;
        }

        if (from == Core)
        {
            return to == Host || Fronts.Contains(to);
        }

        return Fronts.Contains(from) && (to == Host || Fronts.Contains(to));
    }
}
