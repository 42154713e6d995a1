namespace DematOperator.TestSupport;

/// <summary>Finds the repository root (where DematOperator.sln is) and ../shared beside it.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));
    /// <summary>The upstream CRDs, for the fidelity test only: a clone of the repository alone has no ../shared.</summary>
    public static string UpstreamCrds => Path.Combine(Shared, "crds", "upstream");
    public static bool HasUpstreamCrds => Directory.Exists(UpstreamCrds);
    public static string Config => Path.Combine(Root, "config");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DematOperator.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("DematOperator.sln not found above " + AppContext.BaseDirectory);
    }
}
