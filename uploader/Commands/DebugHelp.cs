namespace CoreDump.Uploader.Commands;

/// <summary>`debug`'s help text and messages.</summary>
internal static class DebugHelp
{
    public const string Examples = """


        The debugger runs in the analysis sandbox (the analysis uid, no network, the configured limits), with
        nothing auto-loaded; commands come from the terminal or from stdin.
        Exit codes: the debugger's own; 64 an unknown --debugger; 65 the archive holds no core; 66 no such
        archive; 69 the debugger cannot be started.
        Examples:
          cdm-uploader debug crasher.1.1764590400.core.tar.gz
          echo bt | cdm-uploader debug 3f9c2a1b --debugger /usr/bin/gdb-multiarch
        """;

    public static string Unknown(string tool) =>
        $"'{tool}' is not a debugger this command knows how to start without auto-loading (gdb, gdb-*, *-gdb, lldb, lldb-*)";
}
