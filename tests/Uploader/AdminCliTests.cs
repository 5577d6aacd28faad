using System.Text.Json;
using CoreDump.Uploader.Analysis;

namespace CoreDump.Tests.Uploader;

/// <summary>The admin verbs of the published uploader against archives of real crashes (the test program
/// crashed by the kernel, captured by the published cdm), including bad input: an unknown archive, a bad time,
/// a damaged archive. Each asserts the message and the documented exit code.</summary>
[TestFixture]
public class AdminCliTests
{
    private const long T0 = 1_700_000_000;

    /// <summary>Captures a fresh crash (its own pid) of <paramref name="mode"/> at <paramref name="time"/>.</summary>
    private static (string Archive, Crashes.Crash Crash) Capture(UploaderEnv env, string mode, long time)
    {
        var crash = Crashes.Make(mode);
        var r = KernelLike.Capture(env.Root, "crasher", time, crash.CorePath);
        Assert.That(r.ExitCode, Is.EqualTo(0), env.Root.Log);
        string archive = Path.Combine(env.DaemonDir, env.Root.Archives(Crashes.CrasherDaemon).Single(a => a.Contains($".{time}.", StringComparison.Ordinal)));
        return (archive, crash);
    }

    private static List<long> Times(ProcResult r)
    {
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().Select(e => e.GetProperty("time").GetInt64()).ToList();
    }

    [Test]
    public void List_selects_by_time_count_pid_executable_and_counts_signatures()
    {
        using var env = new UploaderEnv();
        var (a1, c1) = Capture(env, "segv", T0);
        Capture(env, "fpe", T0 + 3600);
        Capture(env, "segv", T0 + 7200);
        env.Run();
        var (a4, c4) = Capture(env, "abort", T0 + 10800);   // not analysed: pid read from the archive itself

        Assert.That(Times(env.Uploader("list", "--json", "--since", (T0 + 3600).ToString())), Is.EqualTo(new[] { T0 + 3600, T0 + 7200, T0 + 10800 }));
        Assert.That(Times(env.Uploader("list", "--json", "--since", "2023-11-14T23:13:20Z", "--until", (T0 + 7200).ToString())), Is.EqualTo(new[] { T0 + 3600, T0 + 7200 }));
        Assert.That(Times(env.Uploader("list", "--json", "--since", "-2h")), Is.Empty, "the crashes are from 2023");
        Assert.That(Times(env.Uploader("list", "--json", "--since=-30000d")), Has.Count.EqualTo(4));
        Assert.That(Times(env.Uploader("list", "--json", "-n", "2")), Is.EqualTo(new[] { T0 + 7200, T0 + 10800 }));
        Assert.That(Times(env.Uploader("list", "--json", "--pid", c1.Pid.ToString())), Is.EqualTo(new[] { T0 }), "pid from the report's metadata");
        Assert.That(Times(env.Uploader("list", "--json", "--pid", c4.Pid.ToString())), Is.EqualTo(new[] { T0 + 10800 }), "pid from the archive's metadata.json");
        Assert.That(Times(env.Uploader("list", "--json", "--exe", "crash?r")), Has.Count.EqualTo(4));
        Assert.That(Times(env.Uploader("list", "--json", "--exe", Crashes.Crasher)), Has.Count.EqualTo(4));
        Assert.That(Times(env.Uploader("list", "--json", "--exe", "/usr/*")), Is.Empty);
        string sig = UploaderEnv.Marker(a1).Signature!;
        Assert.That(Times(env.Uploader("list", "--json", "--signature", sig[..8])), Is.EqualTo(new[] { T0, T0 + 7200 }), "both segv crashes share a signature");

        var top = env.Uploader("list", "--by-signature");
        Assert.That(top.ExitCode, Is.EqualTo(0), top.Stderr);
        var lines = top.Stdout.TrimEnd().Split('\n');
        Assert.That(lines[0], Does.StartWith(" COUNT SIGNATURE"));
        Assert.That(lines[1], Does.Match($@"^\s+2 {sig} +SIGSEGV "), top.Stdout);
        var json = JsonDocument.Parse(env.Uploader("list", "--top", "--json").Stdout).RootElement;
        Assert.That(json[0].GetProperty("count").GetInt32(), Is.EqualTo(2));
        Assert.That(json[0].GetProperty("latest").GetString(), Is.EqualTo(Path.GetFileName(env.Root.Archives(Crashes.CrasherDaemon).Single(a => a.Contains($".{T0 + 7200}.", StringComparison.Ordinal)))));
        Assert.That(json.GetArrayLength(), Is.EqualTo(3), "segv twice, fpe, and the abort not analysed yet");

        var help = env.Uploader("list", "--help");
        Assert.That(help.Stdout, Does.Contain("Examples:").And.Contain("cdm-uploader list --since -2h").And.Contain("--by-signature"));
    }

    [TestCase("--since", "yesterday-ish")]
    [TestCase("--until", "2023-02-30")]
    [TestCase("--since", "-5y")]
    public void List_with_a_bad_time_exits_64_naming_the_value_and_the_forms(string option, string value)
    {
        using var env = new UploaderEnv();
        var r = env.Uploader("list", option, value);
        Assert.That(r.ExitCode, Is.EqualTo(64), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain(option).And.Contain($"'{value}'").And.Contain("ISO-8601").And.Contain("-N{s,m,h,d,w}"));
        Assert.That(r.Stdout, Is.Empty);
    }

    [Test]
    public void Info_json_has_the_bookkeeping_and_the_report()
    {
        using var env = new UploaderEnv();
        var (a, _) = Capture(env, "segv", T0);
        env.Run();
        var r = env.Uploader("info", Path.GetFileName(a), "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var o = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.That(o.GetProperty("state").GetString(), Is.EqualTo("submitted"));
        Assert.That(o.GetProperty("path").GetString(), Is.EqualTo(a));
        Assert.That(o.GetProperty("signal_name").GetString(), Is.EqualTo("SIGSEGV"));
        Assert.That(o.GetProperty("delivered_to").GetString(), Does.Contain("outbox"));
        Assert.That(o.GetProperty("delivered_at").GetInt64(), Is.GreaterThan(T0));
        Assert.That(o.GetProperty("report").GetString(), Does.Contain("crash_null_write"));
        Assert.That(r.Stdout, Does.Contain("\\nsignal: 11 (SIGSEGV)"), "text as itself, not \\u escapes");
        Assert.That(r.Stdout, Does.Not.Contain("\\u0027"));
        Assert.That(o.GetProperty("report_id").GetString(), Is.EqualTo(UploaderEnv.Marker(a).ReportId));

        var missing = env.Uploader("info", "nope.1.1.core.tar.gz", "--json");
        Assert.That(missing.ExitCode, Is.EqualTo(66));
        Assert.That(missing.Stderr, Does.Contain("no archive 'nope.1.1.core.tar.gz'"));
    }

    [Test]
    public void Dump_writes_the_core_exactly_0600_and_never_overwrites_without_force()
    {
        using var env = new UploaderEnv();
        var (a, crash) = Capture(env, "segv", T0);
        byte[] original = File.ReadAllBytes(crash.CorePath);
        string outDir = Path.Combine(env.Root.Dir, "dumps");
        Directory.CreateDirectory(outDir);
        string target = Path.Combine(outDir, "core");

        var r = env.Uploader("dump", Path.GetFileName(a), "-o", target);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"{original.Length} bytes of core"));
        Assert.That(File.ReadAllBytes(target), Is.EqualTo(original), "the core exactly as the kernel wrote it");
        Assert.That(File.GetUnixFileMode(target), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));

        File.WriteAllText(target, "precious");
        var again = env.Uploader("dump", a, "-o", target);
        Assert.That(again.ExitCode, Is.EqualTo(73));
        Assert.That(again.Stderr, Does.Contain("exists").And.Contain("--force"));
        Assert.That(File.ReadAllText(target), Is.EqualTo("precious"));

        // a symlink planted at the name is neither followed nor, without --force, replaced
        string victim = Path.Combine(outDir, "victim");
        File.WriteAllText(victim, "victim");
        string link = Path.Combine(outDir, "link");
        File.CreateSymbolicLink(link, victim);
        Assert.That(env.Uploader("dump", a, "-o", link).ExitCode, Is.EqualTo(73));
        var forced = env.Uploader("dump", a, "-o", link, "--force");
        Assert.That(forced.ExitCode, Is.EqualTo(0), forced.Stderr);
        Assert.That(File.ReadAllText(victim), Is.EqualTo("victim"), "the link's target is untouched");
        Assert.That(new FileInfo(link).LinkTarget, Is.Null, "the link itself was replaced by the core");
        Assert.That(File.ReadAllBytes(link), Is.EqualTo(original));
        Assert.That(env.Uploader("dump", a, "-o", target, "--force").ExitCode, Is.EqualTo(0));
        Assert.That(File.ReadAllBytes(target), Is.EqualTo(original));
        Assert.That(Directory.GetFiles(outDir, ".*"), Is.Empty, "no temporary left");

        // to stdout (redirected), byte for byte
        string viaStdout = Path.Combine(outDir, "stdout.core");
        var piped = Proc.Sh("\"$1\" --config \"$2\" dump \"$3\" > \"$4\"", null, 120_000, Paths.Uploader, env.ConfigFile, a, viaStdout);
        Assert.That(piped.ExitCode, Is.EqualTo(0), piped.Stderr);
        Assert.That(File.ReadAllBytes(viaStdout), Is.EqualTo(original));
    }

    [Test]
    public void Dump_refuses_a_terminal_an_unknown_archive_a_drop_record_and_a_damaged_archive()
    {
        using var env = new UploaderEnv();
        var (a, _) = Capture(env, "segv", T0);

        // script(1) gives the uploader a pseudo-terminal as stdout
        var tty = Proc.Run("script", ["-qec", $"'{Paths.Uploader}' --config '{env.ConfigFile}' dump '{a}'; echo \"exit=$?\"", "/dev/null"]);
        Assert.That(tty.Stdout, Does.Contain("refusing to write a core to a terminal").And.Contain("exit=64"));

        var unknown = env.Uploader("dump", "nope.1.1.core.tar.gz", "-o", Path.Combine(env.Root.Dir, "x"));
        Assert.That(unknown.ExitCode, Is.EqualTo(66));
        Assert.That(unknown.Stderr, Does.Contain("no archive"));

        // a drop record of a real crash (the administrator excluded it)
        env.Root.WriteConfig($"maxcore=20\ncorepath={env.Root.CorePath}\nlogfile={env.Root.LogFile}\nexclude=name:crasher\n");
        Assert.That(KernelLike.Capture(env.Root, "crasher", T0 + 60, Crashes.Cached("segv").CorePath).ExitCode, Is.EqualTo(0));
        string drop = Path.Combine(env.DaemonDir, env.Root.DropRecords(Crashes.CrasherDaemon).Single());
        string outFile = Path.Combine(env.Root.Dir, "drop.core");
        var d = env.Uploader("dump", drop, "-o", outFile);
        Assert.That(d.ExitCode, Is.EqualTo(66));
        Assert.That(d.Stderr, Does.Contain("holds no core").And.Contain("drop record").And.Contain("excluded"));
        Assert.That(File.Exists(outFile), Is.False);

        // the archive cut in the middle of the core (a truncated gzip stream)
        long size = new FileInfo(a).Length;
        using (var f = new FileStream(a, FileMode.Open)) f.SetLength(size / 2);
        var damaged = env.Uploader("dump", a, "-o", outFile);
        Assert.That(damaged.ExitCode, Is.EqualTo(65), damaged.Stderr);
        Assert.That(damaged.Stderr, Does.Contain(a).And.Contain("damaged"));
        Assert.That(File.Exists(outFile), Is.False, "no partial core left");
        // info still works on it; list --pid names it and goes on
        Assert.That(env.Uploader("info", a).ExitCode, Is.EqualTo(0));
        var list = env.Uploader("list", "--json", "--pid", "1");
        Assert.That(list.Stderr, Does.Contain("damaged"));
        Assert.That(list.Stdout.Trim(), Is.EqualTo("[]"));
    }

    [Test]
    public void Debug_runs_the_chosen_debugger_in_the_sandbox_without_auto_load()
    {
        using var env = new UploaderEnv();
        var (a, _) = Capture(env, "segv", T0);
        // a stand-in "gdb" that reports who runs it and with which arguments (under /var/tmp: the sandbox hides /tmp)
        string dir = Path.Combine("/var/tmp", "cdm-debugger-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
            string probe = Path.Combine(dir, "gdb-probe");
            File.WriteAllText(probe, "#!/bin/sh\necho \"probe uid=$(id -u) net=$(cat /proc/net/dev | grep -c :)\"\nfor a in \"$@\"; do echo \"arg: $a\"; done\n");
            File.SetUnixFileMode(probe, (UnixFileMode)0x1ED);
            var r = env.Uploader("debug", a, "--debugger", probe);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
            uint uid = AnalysisIdentity.Resolve(AnalysisIdentity.DefaultUser, File.ReadAllText("/etc/passwd"), out _)!.Uid;
            Assert.That(r.Stdout, Does.Contain($"probe uid={uid}").And.Contain("net=1"), "the analysis uid, only a loopback");
            Assert.That(r.Stdout, Does.Contain("arg: -nx\narg: -nh").And.Contain("arg: set auto-load off").And.Contain("arg: -c\narg: core"));

            var unknown = env.Uploader("debug", a, "--debugger", "/bin/sh");
            Assert.That(unknown.ExitCode, Is.EqualTo(64));
            Assert.That(unknown.Stderr, Does.Contain("'/bin/sh' is not a debugger"));
            var missing = env.Uploader("debug", a, "--debugger", "/nonexistent/gdb");
            Assert.That(missing.ExitCode, Is.EqualTo(69), missing.Stderr);

            string cmds = Path.Combine(env.Root.Dir, "gdb-cmds");
            File.WriteAllText(cmds, "bt\nquit\n");
            var real = Proc.Sh("\"$1\" --config \"$2\" debug \"$3\" --debugger /usr/bin/gdb < \"$4\"", null, 120_000, Paths.Uploader, env.ConfigFile, a, cmds);
            Assert.That(real.Stdout + real.Stderr, Does.Contain("crash_null_write"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void Vacuum_by_age_and_size_keeps_undelivered_unless_forced()
    {
        using var env = new UploaderEnv();
        var (old1, _) = Capture(env, "segv", T0);
        var (old2, _) = Capture(env, "fpe", T0 + 60);
        env.Run();
        var (pending, _) = Capture(env, "segv", T0 + 120);
        Assert.That(File.Exists(old1 + ".report") && File.Exists(old1 + ".submitted"));

        var dry = env.Uploader("vacuum", "--older-than", "30d", "--dry-run");
        Assert.That(dry.ExitCode, Is.EqualTo(0), dry.Stderr);
        Assert.That(dry.Stdout, Does.Contain($"would remove {old1}").And.Contain($"would remove {old2}").And.Contain($"kept {pending}: its report is not delivered yet"));
        Assert.That(File.Exists(old1), "dry run removes nothing");

        var size = env.Uploader("vacuum", "--max-size", "1", "--json");
        Assert.That(size.ExitCode, Is.EqualTo(0), size.Stderr);
        var o = JsonDocument.Parse(size.Stdout).RootElement;
        Assert.That(o.GetProperty("removed").EnumerateArray().Select(e => e.GetProperty("path").GetString()), Is.EqualTo(new[] { old1, old2 }), "oldest first");
        Assert.That(o.GetProperty("kept_undelivered")[0].GetString(), Is.EqualTo(pending));
        Assert.That(size.Stderr, Does.Contain("undelivered archive(s) kept"));
        foreach (var gone in new[] { old1, old2 })
            Assert.That(Directory.GetFiles(env.DaemonDir).Where(f => f.StartsWith(gone, StringComparison.Ordinal)), Is.Empty, "archive, marker and report removed");
        Assert.That(File.Exists(pending) && File.Exists(pending + ".pending"));

        var forced = env.Uploader("vacuum", "--older-than", "30d", "--force");
        Assert.That(forced.ExitCode, Is.EqualTo(0), forced.Stderr);
        Assert.That(File.Exists(pending), Is.False);
        Assert.That(env.List(), Is.Empty);

        foreach (var (opt, val, why) in new[] { ("--older-than", "soon", "'soon' is not a duration"), ("--max-size", "big", "'big' is not a size") })
        {
            var bad = env.Uploader("vacuum", opt, val);
            Assert.That(bad.ExitCode, Is.EqualTo(64));
            Assert.That(bad.Stderr, Does.Contain(why));
        }
        Assert.That(env.Uploader("vacuum").Stderr, Does.Contain("needs --older-than AGE and/or --max-size SIZE"));
        Assert.That(env.Uploader("vacuum", "--help").Stdout, Does.Contain("cdm-uploader vacuum --older-than 30d --dry-run"));
    }

    [Test]
    public void Remove_core_after_delivery_keeps_metadata_os_release_marker_and_report()
    {
        using var env = new UploaderEnv("remove_core_after_delivery = true");
        var (a, crash) = Capture(env, "segv", T0);
        long before = new FileInfo(a).Length;
        env.Run();

        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(ArchiveMembers.HasCore(a), Is.False);
        var l = ArchiveMembers.Read(a);
        Assert.That(l.OsRelease, Does.Contain("CoreDump Test OS"));
        Assert.That(l.Metadata.Pid, Is.EqualTo(crash.Pid));
        Assert.That(new FileInfo(a).Length, Is.LessThan(before));
        Assert.That(Proc.Run("tar", ["-tzf", a]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "os-release", "metadata.json" }), "GNU tar reads the copy");
        Assert.That(File.GetUnixFileMode(a), Is.EqualTo((UnixFileMode)0x1a0));
        Assert.That(UploaderEnv.Report(a), Does.Contain("crash_null_write"));
        Assert.That(Directory.GetFiles(env.DaemonDir, ".*.w"), Is.Empty, "no temporary left");

        var dump = env.Uploader("dump", a, "-o", Path.Combine(env.Root.Dir, "c"));
        Assert.That(dump.ExitCode, Is.EqualTo(66));
        Assert.That(dump.Stderr, Does.Contain("removed after delivery"));
        env.Run();   // idempotent: nothing more to remove, nothing re-analysed
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(env.Uploader("info", a).Stdout, Does.Contain("crash_null_write"));
    }

    [Test]
    public void Status_counts_what_is_on_disk_and_writes_the_prometheus_textfile()
    {
        string prom = Path.Combine(Path.GetTempPath(), "cdm-prom-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(prom);
        try
        {
            using var env = new UploaderEnv($"prometheus_textfile_dir = \"{prom}\"");
            Capture(env, "segv", T0);
            Capture(env, "fpe", T0 + 60);
            env.Run();
            Assert.That(File.ReadAllText(Path.Combine(prom, "cdm.prom")), Does.Contain("cdm_reports_delivered 2"), "run wrote the textfile");
            Capture(env, "segv", T0 + 120);
            env.Root.WriteConfig($"maxcore=20\ncorepath={env.Root.CorePath}\nlogfile={env.Root.LogFile}\nexclude=name:crasher\n");
            Assert.That(KernelLike.Capture(env.Root, "crasher", T0 + 180, Crashes.Cached("segv").CorePath).ExitCode, Is.EqualTo(0));

            var r = env.Uploader("status", "--json");
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
            var o = JsonDocument.Parse(r.Stdout).RootElement;
            Assert.That(o.GetProperty("captured").GetInt32(), Is.EqualTo(3));
            Assert.That(o.GetProperty("drop_records").GetInt32(), Is.EqualTo(1));
            Assert.That(o.GetProperty("dropped_by_reason").GetProperty("excluded").GetInt32(), Is.EqualTo(1));
            Assert.That(o.GetProperty("delivered").GetInt32(), Is.EqualTo(2));
            Assert.That(o.GetProperty("waiting").GetInt32(), Is.EqualTo(2));
            Assert.That(o.GetProperty("oldest_waiting_time").GetInt64(), Is.EqualTo(T0 + 120));
            Assert.That(o.GetProperty("outbox_reports").GetInt32(), Is.EqualTo(2));

            string other = Path.Combine(prom, "sub");
            Directory.CreateDirectory(other);
            var text = env.Uploader("status", "--textfile", other);
            Assert.That(text.ExitCode, Is.EqualTo(0), text.Stderr);
            Assert.That(text.Stdout, Does.Contain("captured:       3 core archive(s)").And.Contain("dropped:        1 drop record(s) (excluded 1)"));
            string file = File.ReadAllText(Path.Combine(other, "cdm.prom"));
            Assert.That(file, Does.Contain("# TYPE cdm_reports_waiting gauge\ncdm_reports_waiting 2\n"));
            Assert.That(file, Does.Contain("cdm_drop_records{reason=\"excluded\"} 1"));
            Assert.That(file, Does.Contain("cdm_archives{kind=\"core\",state=\"submitted\"} 2"));
            Assert.That(Directory.GetFiles(other), Is.EqualTo(new[] { Path.Combine(other, "cdm.prom") }), "no temporary left");

            var bad = env.Uploader("status", "--textfile", "/nonexistent/dir");
            Assert.That(bad.ExitCode, Is.EqualTo(73));
            Assert.That(bad.Stderr, Does.Contain("cannot write /nonexistent/dir/cdm.prom"));
        }
        finally { Directory.Delete(prom, true); }
    }

    /// <summary>A tree set up as `install` leaves a machine: doctor --root reads it instead of "/".</summary>
    private static string GoodTree(string dir)
    {
        void Write(string path, string text, int mode = 0x1a4)
        {
            string full = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
            File.SetUnixFileMode(full, (UnixFileMode)mode);
        }
        Write("proc/sys/kernel/core_pattern", CoreDump.Uploader.Doctor.DoctorChecks.OurPattern + "\n");
        Write("proc/sys/kernel/core_pipe_limit", "0\n");
        Write("proc/sys/fs/suid_dumpable", "2\n");
        Write("etc/sysctl.d/50-coredump.conf", File.ReadAllText(Path.Combine(Paths.RepoRoot, "sysctl.d", "50-coredump.conf")));
        Write("usr/lib/sysctl.d/50-coredump.conf", "kernel.core_pattern=|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h\n");
        Write("sbin/cdm", "#!/bin/sh\n", 0x1ed);
        Write("usr/bin/gdb", "#!/bin/sh\n", 0x1ed);
        Write("etc/core_file.conf", "corepath=/var/core\nkeepfree=1M\n");
        Write("etc/passwd", "root:x:0:0::/root:/bin/sh\ncdm-analysis:x:998:998::/nonexistent:/usr/sbin/nologin\n");
        Write("etc/cdm/uploader.toml", "corepath = \"/var/core\"\n");
        Directory.CreateDirectory(Path.Combine(dir, "var/core"), (UnixFileMode)0x1ed);
        return dir;
    }

    [Test]
    public void Doctor_passes_a_good_tree_and_names_each_fault_with_exit_1()
    {
        using var tmp = new TempRoot();
        string root = GoodTree(Path.Combine(tmp.Dir, "machine"));
        var ok = Proc.Run(Paths.Uploader, ["doctor", "--root", root]);
        Assert.That(ok.ExitCode, Is.EqualTo(0), ok.Stdout + ok.Stderr);
        Assert.That(ok.Stdout, Does.Contain("ok   core_pattern: pipes to cdm").And.Contain("0 failed"));

        File.WriteAllText(Path.Combine(root, "proc/sys/kernel/core_pattern"), "|/usr/share/apport/apport -p%p -s%s -c%c -d%d -P%P -u%u -g%g -- %E\n");
        File.WriteAllText(Path.Combine(root, "proc/sys/fs/suid_dumpable"), "0\n");
        File.SetUnixFileMode(Path.Combine(root, "var/core"), (UnixFileMode)0x1ff);
        Directory.CreateDirectory(Path.Combine(root, "etc/systemd/system/multi-user.target.wants"));
        File.CreateSymbolicLink(Path.Combine(root, "etc/systemd/system/multi-user.target.wants/apport.service"), "/lib/systemd/system/apport.service");
        var bad = Proc.Run(Paths.Uploader, ["doctor", "--root", root]);
        Assert.That(bad.ExitCode, Is.EqualTo(1), bad.Stdout);
        Assert.That(bad.Stdout, Does.Contain("FAIL core_pattern: cores go to apport, not cdm").And.Contain("fix: install /etc/sysctl.d/50-coredump.conf"));
        Assert.That(bad.Stdout, Does.Contain("FAIL fs.suid_dumpable: 0").And.Contain("fix: sysctl -w fs.suid_dumpable=2"));
        Assert.That(bad.Stdout, Does.Contain("FAIL other crash handlers: apport is enabled"));
        Assert.That(bad.Stdout, Does.Contain("FAIL corepath: /var/core is writable by group or others (mode 0777)"));
        Assert.That(File.ReadAllText(Path.Combine(root, "proc/sys/kernel/core_pattern")), Does.Contain("apport"), "doctor changed nothing");

        var json = Proc.Run(Paths.Uploader, ["doctor", "--root", root, "--json"]);
        var o = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.That(o.GetProperty("failed").GetInt32(), Is.EqualTo(4));
        Assert.That(o.GetProperty("checks").EnumerateArray().Any(c => c.GetProperty("status").GetString() == "Fail" && c.GetProperty("name").GetString() == "core_pattern"));

        File.WriteAllText(Path.Combine(root, "etc/cdm/uploader.toml"), "corepath = \n");
        var cfg = Proc.Run(Paths.Uploader, ["doctor", "--root", root]);
        Assert.That(cfg.Stdout, Does.Contain("FAIL uploader config:").And.Contain("uploader.toml"));
    }

    [Test]
    public void Doctor_on_this_machine_reports_core_pattern_not_ours_and_changes_nothing()
    {
        string before = File.ReadAllText("/proc/sys/kernel/core_pattern");
        Assume.That(CoreDump.Uploader.Doctor.DoctorChecks.IsOurs(before.TrimEnd('\n'), out _), Is.False, "this machine's core_pattern is cdm's");
        using var env = new UploaderEnv();
        var r = env.Uploader("doctor");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stdout + r.Stderr);
        Assert.That(r.Stdout, Does.Contain("FAIL core_pattern: cores go to").And.Contain("not cdm"));
        Assert.That(File.ReadAllText("/proc/sys/kernel/core_pattern"), Is.EqualTo(before));
    }
}
