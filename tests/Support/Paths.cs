namespace CoreDump.Tests.Support;

internal static class Paths
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The published native-AOT binaries (build.sh exports CDM_BIN_DIR; default out/bin).</summary>
    public static string BinDir => Environment.GetEnvironmentVariable("CDM_BIN_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoRoot, "out", "bin");

    public static string Cdm => Existing(Path.Combine(BinDir, "cdm"));
    public static string Uploader => Existing(Path.Combine(BinDir, "uploader"));

    public static string Programs => Path.Combine(RepoRoot, "tests", "programs");

    private static string Existing(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} missing: run ./build.sh build first", path);

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CoreDump.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("CoreDump.sln not found above " + AppContext.BaseDirectory);
    }
}
