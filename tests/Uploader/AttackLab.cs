using System.Diagnostics;

namespace CoreDump.Tests.Uploader;

/// <summary>A hostile user's playground for the analysis attack tests: a world-writable (1777) folder under
/// /var/tmp (visible inside the analysis sandbox, unlike /tmp), the attack programs compiled into it with the
/// payload path pointing into it, and real kernel-written cores of their crashes (RLIMIT_CORE raised in a
/// private cwd; the machine's core_pattern is "core" and is never changed).</summary>
internal sealed class AttackLab : IDisposable
{
    public string Dir { get; }
    public string Payload => Path.Combine(Dir, "pwned");
    public string Program => Path.Combine(Dir, "attack_crash");
    public string Library => Path.Combine(Dir, "libattack.so");

    public AttackLab()
    {
        Dir = Path.Combine("/var/tmp", "cdm-attack-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Dir);
        File.SetUnixFileMode(Dir, (UnixFileMode)Convert.ToInt32("1777", 8));
        Compile(Program);
        Proc.MustSh("cc -g -O0 -shared -fPIC -o \"$2\" \"$1\"", null, Path.Combine(Paths.Programs, "attack_lib.c"), Library);
        // the two files gdb would auto-load beside an objfile
        File.WriteAllText(Program + "-gdb.gdb", $"shell id -u > {Payload}.beside\n");
        File.WriteAllText(Library + "-gdb.py", $"import os\nopen('{Payload}.lib', 'w').write(str(os.getuid()))\n");
    }

    public void Compile(string output, string extraFlags = "") =>
        Proc.MustSh($"cc -g -O0 {extraFlags} -DPAYLOAD='\"'\"$3\"'\"' -o \"$2\" \"$1\" -ldl", null, Path.Combine(Paths.Programs, "attack_crash.c"), output, Payload);

    /// <summary>The uploader config of <paramref name="env"/> with another gdb time limit.</summary>
    public static void Configure(UploaderEnv env, int gdbTimeoutSeconds, string extra = "") => File.WriteAllText(env.ConfigFile,
        $"corepath = \"{env.Root.CorePath}\"\noutbox = \"{env.Outbox}\"\nstate_dir = \"{env.StateDir}\"\nlog_file = \"{env.LogFile}\"\n" +
        $"gdb_timeout_seconds = {gdbTimeoutSeconds}\nrun_timeout_seconds = 300\n{extra}\n");

    /// <summary>Files the payloads would have created.</summary>
    public string[] PayloadTraces() => Directory.GetFiles(Dir, "pwned*");

    /// <summary>Runs <paramref name="exe"/> until it crashes; returns the kernel's core.</summary>
    public string Crash(string exe, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        string cwd = Path.Combine(Dir, "c" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(cwd);
        var e = new Dictionary<string, string>(env ?? new Dictionary<string, string>());
        Proc.Run("/bin/sh", ["-c", "ulimit -c unlimited; \"$@\"", "sh", exe, .. args], cwd, env: e, timeoutMs: 60_000);
        var cores = Directory.GetFiles(cwd, "core*");
        if (cores.Length == 0) Assert.Inconclusive("the kernel wrote no core");
        return cores[0];
    }

    /// <summary>Captures a core with the real cdm under <paramref name="name"/>; returns the archive.</summary>
    public static string Capture(UploaderEnv env, string core, string name, long time)
    {
        var r = KernelLike.Capture(env.Root, name, time, core);
        Assert.That(r.ExitCode, Is.EqualTo(0), $"cdm: {r.Stderr}");
        return FindArchive(env, time);
    }

    public static string FindArchive(UploaderEnv env, long time) =>
        Directory.GetFiles(env.Root.CorePath, $"*.{time}.*.tar.gz", SearchOption.AllDirectories).Single();

    /// <summary>gdb as the landed code ran it (root, auto-load safe-path /): the control that proves the attack
    /// program's payload is real.</summary>
    public static ProcResult UnsafeGdb(string exe, string core) =>
        Proc.Run("gdb", ["-nx", "-nh", "-batch", "-iex", "set auto-load safe-path /", "-iex", "set debuginfod enabled off", "-ex", "bt", exe, "-c", core], timeoutMs: 60_000);

    /// <summary>Processes whose command line holds <paramref name="marker"/>.</summary>
    public static List<int> ProcessesWith(string marker)
    {
        var found = new List<int>();
        foreach (var d in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out int pid) || pid == Environment.ProcessId) continue;
            try { if (File.ReadAllText(Path.Combine(d, "cmdline")).Contains(marker, StringComparison.Ordinal)) found.Add(pid); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    public static (ProcResult Result, TimeSpan Elapsed) TimedRun(UploaderEnv env)
    {
        var clock = Stopwatch.StartNew();
        var r = env.Run();
        return (r, clock.Elapsed);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
