namespace Bridge.UnitTests.Architecture;

/// <summary>The repository's source files, found from the test assembly's folder (the folder holding Bridge.sln).</summary>
internal static class SourceTree
{
    public static string Root { get; } = FindRoot();

    /// <summary>The C# files under <paramref name="folder"/> (relative to the root, '/'-separated), build output excluded.</summary>
    public static IReadOnlyList<string> CSharpFiles(string folder)
    {
        var path = Path.Combine(Root, folder);
        Assert.True(Directory.Exists(path), $"{path} does not exist");
        return [.. Directory.EnumerateFiles(path, "*.cs", SearchOption.AllDirectories)
            .Where(static file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>A file's code without its comments (line comments and XML docs), for checks that must not match prose.</summary>
    public static string CodeOf(string file) =>
        string.Join('\n', File.ReadLines(file).Select(static line => line.TrimStart()).Where(static line => !line.StartsWith("//", StringComparison.Ordinal)));

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Bridge.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no Bridge.sln above {AppContext.BaseDirectory}");
    }
}
