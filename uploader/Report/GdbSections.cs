using CoreDump.Uploader.Analysis;

namespace CoreDump.Uploader.Report;

/// <summary>One section of gdb's batch output: the name gdb echoes after the section mark, the command whose
/// output fills it (from report_detail and the run's nonce), and its heading in the report (null: read by
/// the uploader, never printed).</summary>
internal sealed record GdbSection(string Key, string? Title, Func<ReportDetail, string, string> Command);

/// <summary>The one table of the gdb protocol: <see cref="GdbRunner.BatchArguments"/> builds gdb's command
/// line from it, <see cref="GdbOutput.Sections"/> reads back only the sections it names, and
/// <see cref="ReportText"/> prints them under their headings.</summary>
internal static class GdbSections
{
    /// <summary>What gdb prints before the first mark: its messages about loading the core.</summary>
    public const string Preamble = "preamble";

    /// <summary>Prints the crashing thread's frames as "NONCE [level, pc, name, file, line, library, sigtramp]"
    /// JSON records: every name is escaped by json.dumps, so none can forge a record.</summary>
    private const string FrameScript = """
        import gdb, json
        n = 'NONCE'
        f = gdb.newest_frame()
        i = 0
        while f is not None and i < 256:
            try:
                pc = f.pc()
                sal = f.find_sal()
                fn = sal.symtab.filename if sal.symtab is not None else None
                print(n + ' ' + json.dumps([i, pc, f.name(), fn, sal.line, gdb.solib_name(pc), f.type() == gdb.SIGTRAMP_FRAME]))
                f = f.older()
            except gdb.error:
                break
            i += 1
        """;

    public static readonly GdbSection Backtrace = new("bt", "backtrace", (_, _) => "bt");
    public static readonly GdbSection Instruction = new("insn", "faulting instruction", (_, _) => "x/i $pc");
    public static readonly GdbSection Registers = new("regs", "registers", (_, _) => "info registers");
    public static readonly GdbSection SharedLibraries = new("shlib", "shared libraries", (_, _) => "info sharedlibrary");
    public static readonly GdbSection Maps = new("maps", "maps", (_, _) => "info proc mappings");
    public static readonly GdbSection Threads = new("all", "threads",
        (detail, _) => detail == ReportDetail.Frames ? "thread apply all bt" : "thread apply all bt full");
    public static readonly GdbSection FrameRecords = new("frames", null,
        (_, nonce) => "python exec(\"" + FrameScript.Replace("NONCE", nonce).Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\")");

    /// <summary>The order gdb runs them: the short sections first, the thread listing (long with `bt full`)
    /// and the Python frame records last.</summary>
    public static readonly IReadOnlyList<GdbSection> RunOrder = [Backtrace, Instruction, Registers, SharedLibraries, Maps, Threads, FrameRecords];

    /// <summary>The order the report prints them (docs/uploader.md, "The report").</summary>
    public static readonly IReadOnlyList<GdbSection> ReportOrder = [Backtrace, Instruction, Registers, Threads, SharedLibraries, Maps];

    public static bool IsKey(string name) => RunOrder.Any(s => s.Key == name);
}
