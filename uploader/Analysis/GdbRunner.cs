using CoreDump.Uploader.Report;

namespace CoreDump.Uploader.Analysis;

/// <summary>What a report may contain (config key report_detail). The environment is never in it.</summary>
internal enum ReportDetail { Frames, Locals, Full }

internal sealed record GdbResult(string Stdout, string Stderr, int ExitCode, bool TimedOut, bool OutputCut, string Nonce)
{
    /// <summary>gdb could not be executed (126: not executable, 127: not found).</summary>
    public bool NotStarted => ExitCode is 126 or 127 && Stdout.Length == 0;
}

/// <summary>Runs real gdb in batch mode on a core inside the analysis sandbox. gdb loads nothing the crashed
/// program supplies: no init files, auto-load off (no .debug_gdb_scripts, no *-gdb.gdb / *-gdb.py beside the
/// executable or its libraries, no local .gdbinit), only the system's libthread_db, no debuginfod, no index
/// cache. With a debuginfod cache (fetched beforehand, outside the sandbox) gdb also looks there for separate
/// debug files by build-id, read-only. Sections are separated by marks carrying a per-run random nonce.</summary>
internal static class GdbRunner
{
    /// <summary>gdb's debug-file-directory with the debuginfod cache: the system's debug packages first.</summary>
    public const string DebugFileDirectories = "/usr/lib/debug:" + SandboxCommand.SymbolsMountpoint;

    /// <summary>Settings applied before any file is read; <paramref name="symbols"/>: the debuginfod cache is
    /// mounted at <see cref="SandboxCommand.SymbolsMountpoint"/>. gdb itself never fetches (debuginfod off).</summary>
    public static List<string> SafetySettings(ReportDetail detail, bool symbols = false) =>
    [
        .. symbols ? ["set debug-file-directory " + DebugFileDirectories] : Array.Empty<string>(),
        "set auto-load off", "set auto-load libthread-db on", "set libthread-db-search-path $sdir",
        "set debuginfod enabled off", "set index-cache enabled off", "set pagination off", "set confirm off",
        "set width 0", "set height 0", "set print entry-values no",
        "set print frame-arguments " + (detail switch { ReportDetail.Frames => "none", ReportDetail.Locals => "scalars", _ => "all" }),
    ];

    public static IEnumerable<(string Key, string Command)> Commands(ReportDetail detail, string nonce) =>
        GdbSections.RunOrder.Select(s => (s.Key, s.Command(detail, nonce)));

    /// <summary>gdb's arguments; <paramref name="executable"/> and <paramref name="core"/> are names relative to
    /// the sandbox's working directory.</summary>
    public static List<string> BatchArguments(string? executable, string core, ReportDetail detail, string nonce, bool symbols = false)
    {
        var args = new List<string> { "-nx", "-nh", "-batch" };
        foreach (var s in SafetySettings(detail, symbols)) args.AddRange(["-iex", s]);
        foreach (var (key, command) in Commands(detail, nonce))
            args.AddRange(["-ex", $"echo \\n{GdbOutput.SectionMark(nonce)}{key}\\n", "-ex", command]);
        if (executable is not null) args.Add(executable);
        args.AddRange(["-c", core]);
        return args;
    }

    public static GdbResult Run(AnalysisSandbox sandbox, string gdb, string? executable, string core, ReportDetail detail, int timeoutSeconds, string dir)
    {
        string nonce = GdbOutput.NewNonce();
        string? symbols = sandbox.SymbolsFolder();
        var r = sandbox.RunBatch(ResolveProgram(gdb), BatchArguments(executable, core, detail, nonce, symbols is not null), dir, timeoutSeconds, symbols: symbols);
        return new GdbResult(r.Stdout, r.Stderr, r.ExitCode, r.TimedOut, r.OutputCut, nonce);
    }

    /// <summary>The gdb binary as an absolute path (a bare name is looked up in PATH here, as root, so the
    /// sandbox's PATH cannot change which program runs).</summary>
    public static string ResolveProgram(string gdb)
    {
        if (gdb.Contains('/')) return File.Exists(gdb) ? Path.GetFullPath(gdb) : throw new IOException($"cannot run gdb '{gdb}': no such file");
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (dir.StartsWith('/') && Path.Combine(dir, gdb) is var p && File.Exists(p)) return p;
        throw new IOException($"cannot run gdb '{gdb}': not found in PATH");
    }

    public static ReportDetail ParseDetail(string s) => s switch { "locals" => ReportDetail.Locals, "full" => ReportDetail.Full, _ => ReportDetail.Frames };
}
