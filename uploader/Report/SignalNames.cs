namespace CoreDump.Uploader.Report;

/// <summary>Linux x86-64/arm64 signal numbers that produce cores, by name (as gdb prints them).</summary>
internal static class SignalNames
{
    private static readonly Dictionary<int, string> Names = new()
    {
        [3] = "SIGQUIT", [4] = "SIGILL", [5] = "SIGTRAP", [6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE",
        [11] = "SIGSEGV", [24] = "SIGXCPU", [25] = "SIGXFSZ", [31] = "SIGSYS",
    };

    public static string? Name(int? signal) => signal is int s ? Names.GetValueOrDefault(s, $"SIG{s}") : null;

    public static int? Number(string? name) =>
        name is null ? null : Names.Where(kv => kv.Value == name).Select(kv => (int?)kv.Key).FirstOrDefault();
}
