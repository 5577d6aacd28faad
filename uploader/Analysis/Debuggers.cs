namespace CoreDump.Uploader.Analysis;

/// <summary>The interactive debuggers `debug --debugger` may open a core with, each with the settings that keep it
/// from loading anything the crashed program could have placed (init files, scripts beside the executable or in
/// its debug info). A debugger not known here is refused: its auto-loading rules are not known either.</summary>
internal static class Debuggers
{
    internal enum Kind { Gdb, Lldb }

    /// <summary>gdb and its builds (gdb-multiarch, /opt/x/bin/gdb), lldb and its versioned names (lldb-16).</summary>
    public static Kind? KindOf(string command)
    {
        string name = Path.GetFileName(command);
        if (name == "gdb" || name.StartsWith("gdb-", StringComparison.Ordinal) || name.EndsWith("-gdb", StringComparison.Ordinal)) return Kind.Gdb;
        if (name == "lldb" || name.StartsWith("lldb-", StringComparison.Ordinal)) return Kind.Lldb;
        return null;
    }

    /// <summary>The debugger's arguments: its no-auto-load settings, then the executable (when one matched the
    /// core's build-id) and the core, both names inside the sandbox's private /tmp.</summary>
    public static List<string> Arguments(Kind kind, ReportDetail detail, string? executable, string core, bool symbols = false)
    {
        var args = new List<string>();
        if (kind == Kind.Gdb)
        {
            args.AddRange(["-nx", "-nh"]);
            foreach (var s in GdbRunner.SafetySettings(detail, symbols)) args.AddRange(["-iex", s]);
            if (executable is not null) args.Add(executable);
            args.AddRange(["-c", core]);
        }
        else
        {
            args.AddRange(["--no-lldbinit",
                "-O", "settings set target.load-script-from-symbol-file false",
                "-O", "settings set target.load-cwd-lldbinit false",
                "-O", "settings set symbols.enable-external-lookup false"]);
            if (executable is not null) args.Add(executable);
            args.AddRange(["--core", core]);
        }
        return args;
    }

    /// <summary>Runs the debugger on the caller's terminal inside the analysis sandbox (the analysis uid, no
    /// network, the same limits as `run` but no time limit); returns its exit status.</summary>
    public static int Interactive(AnalysisSandbox sandbox, string command, Kind kind, ReportDetail detail, string? executable, string core, string dir)
    {
        // gdb also reads the debuginfod cache (read-only) when there is one; lldb is not pointed at it
        string? symbols = kind == Kind.Gdb ? sandbox.SymbolsFolder() : null;
        return sandbox.RunInteractive(GdbRunner.ResolveProgram(command), Arguments(kind, detail, executable, core, symbols is not null), dir, symbols);
    }
}
