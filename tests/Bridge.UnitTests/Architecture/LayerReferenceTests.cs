using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Bridge.UnitTests.Architecture;

/// <summary>
/// Reads the built assemblies' metadata (what the compiler actually linked, not what a project file says) and
/// fails when a front references another front or the host, or when the core references a front.
/// </summary>
public sealed class LayerReferenceTests
{
    [Fact]
    public void BuiltAssemblies_FollowTheLayerRules()
    {
        var references = new[] { LayerRules.Core, LayerRules.Host }.Concat(LayerRules.Fronts)
            .ToDictionary(static name => name, static name => (IReadOnlyCollection<string>)ReferencedAssemblies(name));

        Assert.Empty(LayerRules.Violations(references));
    }

    [Fact]
    public void BuiltAssemblies_AreAllThere_AndTheHostComposesEveryFront()
    {
        // Guards the test above against passing vacuously (an assembly renamed or no longer copied here).
        var host = ReferencedAssemblies(LayerRules.Host);

        Assert.Contains(LayerRules.Core, host);
        Assert.All(LayerRules.Fronts, front => Assert.Contains(front, host));
        Assert.All(LayerRules.Fronts, front => Assert.Contains(LayerRules.Core, ReferencedAssemblies(front)));
    }

    [Theory]
    [InlineData("Bridge.Notifications", "Bridge.Channels")]
    [InlineData("Bridge.Ledger", "Bridge")]
    [InlineData("Bridge.Core", "Bridge.Ledger")]
    [InlineData("Bridge.Core", "Bridge")]
    public void ForbiddenReference_IsReported(string from, string to)
    {
        var references = new Dictionary<string, IReadOnlyCollection<string>> { [from] = [to, "System.Runtime"] };

        Assert.Equal([$"{from} → {to}"], LayerRules.Violations(references));
    }

    [Theory]
    [InlineData("Bridge.Channels", "Bridge.Core")]
    [InlineData("Bridge", "Bridge.Notifications")]
    [InlineData("Bridge", "Bridge.Core")]
    public void AllowedReference_IsNotReported(string from, string to)
    {
        var references = new Dictionary<string, IReadOnlyCollection<string>> { [from] = [to] };

        Assert.Empty(LayerRules.Violations(references));
    }

    private static List<string> ReferencedAssemblies(string assemblyName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll");
        Assert.True(File.Exists(path), $"{path} was not found: build the solution first");
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        return [.. metadata.AssemblyReferences.Select(handle => metadata.GetString(metadata.GetAssemblyReference(handle).Name))];
    }
}
