namespace CoreDump.Tests.Support;

/// <summary>Real crashes of a real program the tests compile. The machine's core_pattern is "core", so a
/// crash with RLIMIT_CORE raised in a private directory leaves a real kernel-written core there; nothing
/// about the kernel's settings is changed.</summary>
internal static class Crashes
{
    private static readonly Lazy<string> Binary = new(Compile);

    public static string Crasher => Binary.Value;

    public sealed record Crash(string CorePath, int Pid, string Exe, string Dir)
    {
        /// <summary>The process name the crasher gave itself (the kernel keeps 15 bytes).</summary>
        public string Name { get; init; } = "crasher";

        /// <summary>The daemon directory cdm files this crash under (as root, initial namespaces): the test
        /// program is not in a system directory, so its name carries the hash of its path.</summary>
        public string Daemon => CoreDump.Cdm.Intake.DaemonIdentity.DirectoryName(
            System.Text.Encoding.UTF8.GetBytes(Name.Length > 15 ? Name[..15] : Name), 0, Exe, false);
    }

    /// <summary>The directory of the crasher's crashes when it keeps its own name (as root).</summary>
    public static string CrasherDaemon => new Crash("", 0, Crasher, "").Daemon;

    /// <summary>The directory of input that is not an ELF core (identity unverified: %e, no uid, no executable).</summary>
    public static string UnverifiedDaemon(string name) =>
        CoreDump.Cdm.Intake.DaemonIdentity.DirectoryName(System.Text.Encoding.UTF8.GetBytes(name), null, null, false);

    /// <summary>Crashes the test program in a new directory; returns the kernel's core file.</summary>
    public static Crash Make(string mode = "segv", string? name = null)
    {
        string dir = Directory.CreateTempSubdirectory("cdmcrash-").FullName;
        // the core is written in the crashed process's cwd; $! is the crashed pid
        Proc.Sh("ulimit -c unlimited; \"$1\" \"$2\" \"$3\" & echo $! > pid; wait", dir, 60_000, Crasher, mode, name ?? "crasher");
        string core = Path.Combine(dir, "core");
        if (!File.Exists(core))
        {
            var cores = Directory.GetFiles(dir, "core*");
            if (cores.Length == 0) Assert.Inconclusive($"the kernel wrote no core (core_pattern is {File.ReadAllText("/proc/sys/kernel/core_pattern").Trim()})");
            core = cores[0];
        }
        int pid = int.Parse(File.ReadAllText(Path.Combine(dir, "pid")).Trim());
        return new Crash(core, pid, Crasher, dir) { Name = name ?? "crasher" };
    }

    /// <summary>One core per mode, made once per test run.</summary>
    public static Crash Cached(string mode) => Cache.GetOrAdd(mode, m => Make(m));
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Crash> Cache = new();

    private static string Compile()
    {
        string outDir = Path.Combine(Path.GetTempPath(), "cdmtest-programs");
        Directory.CreateDirectory(outDir);
        string exe = Path.Combine(outDir, "crasher");
        Proc.MustSh("cc -g -O0 -pthread -o \"$2\" \"$1\"", null, Path.Combine(Paths.Programs, "crasher.c"), exe);
        return exe;
    }
}
