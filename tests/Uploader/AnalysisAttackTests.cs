using System.Text.RegularExpressions;
using CoreDump.Uploader.Report;

namespace CoreDump.Tests.Uploader;

/// <summary>Each attack on the analysis side performed for real: a hostile program compiled here crashes, the
/// kernel writes its core, the real cdm captures it, the real uploader runs real gdb on it. In every case the
/// payload never runs, the pass ends within its limits, the report says what was refused, and an honest crash
/// in the same pass is still reported and delivered to the outbox.</summary>
[TestFixture]
public class AnalysisAttackTests
{
    private const long T0 = 1_700_000_000;

    /// <summary>An honest crash captured beside the attack, to prove the pass goes on.</summary>
    private static string Honest(UploaderEnv env, long time) => env.Capture("segv", time);

    private static void AssertHonestDelivered(UploaderEnv env, string honest)
    {
        Assert.That(UploaderEnv.State(honest), Is.EqualTo("submitted"), "the honest archive of the same pass");
        string id = UploaderEnv.Marker(honest).ReportId!;
        Assert.That(File.Exists(Path.Combine(env.Outbox, id + ".report")), Is.True, "delivered to the outbox");
    }

    private static string Report(string archive)
    {
        Assert.That(UploaderEnv.State(archive), Is.EqualTo("submitted"), archive);
        return UploaderEnv.Report(archive);
    }

    [Test]
    public void Auto_load_vectors_never_run_section_script_beside_script_library_script()
    {
        using var lab = new AttackLab();
        using var env = new UploaderEnv();
        string core = lab.Crash(lab.Program, ["dlopen", lab.Library]);
        string attack = AttackLab.Capture(env, core, "attack_crash", T0);
        string honest = Honest(env, T0 + 10);
        env.Run();

        Assert.That(lab.PayloadTraces(), Is.Empty, "no payload ran");
        string report = Report(attack);
        Assert.That(GdbReportTests.Section(report, "backtrace"), Does.Contain("attack_lib_crash"), report);
        Assert.That(report, Does.Contain("signature-frames: attack_lib_crash | main"));
        Assert.That(report, Does.Contain("executable: " + lab.Program));
        AssertHonestDelivered(env, honest);

        // the interactive verb obeys the same rules
        string cmds = Path.Combine(lab.Dir, "gdb-cmds");
        File.WriteAllText(cmds, "bt\nquit\n");
        var dbg = Proc.Run("/bin/sh", ["-c", "\"$1\" --config \"$2\" debug \"$3\" < \"$4\"", "sh", Paths.Uploader, env.ConfigFile, attack, cmds]);
        Assert.That(dbg.Stdout + dbg.Stderr, Does.Contain("attack_lib_crash"));
        Assert.That(dbg.Stderr, Does.Contain("without network"));
        Assert.That(lab.PayloadTraces(), Is.Empty, "no payload ran under debug");

        // control: gdb as the landed code ran it executes all three payloads from the same files
        AttackLab.UnsafeGdb(lab.Program, core);
        Assert.That(lab.PayloadTraces().Select(Path.GetFileName), Is.EquivalentTo(new[] { "pwned.section", "pwned.beside", "pwned.lib" }));
    }

    [Test]
    public void A_link_map_path_to_a_root_only_file_is_not_read()
    {
        using var lab = new AttackLab();
        using var env = new UploaderEnv();
        string secret = Path.Combine(lab.Dir, "secret");
        File.WriteAllText(secret, "topsecret-6a1c\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite); // 0600 root
        Proc.MustSh("touch -a -d 2000-01-01 \"$1\"", null, secret); // relatime: any read moves atime
        long atime = File.GetLastAccessTimeUtc(secret).Ticks;
        string attack = AttackLab.Capture(env, lab.Crash(lab.Program, ["linkmap", secret]), "attack_crash", T0);
        string honest = Honest(env, T0 + 10);
        env.Run();

        Assert.That(File.GetLastAccessTimeUtc(secret).Ticks, Is.EqualTo(atime), "the analysis never read the 0600 file");
        string report = Report(attack);
        Assert.That(report, Does.Not.Contain("topsecret-6a1c"));
        Assert.That(report, Does.Contain("analyzer: cdm-uploader (gdb as ").And.Contain("no network"));
        Assert.That(GdbReportTests.Section(report, "warnings"), Does.Contain("Could not load shared library symbols for " + secret), "the report says what was refused");
        AssertHonestDelivered(env, honest);
        // control: root gdb opens it
        AttackLab.UnsafeGdb(lab.Program, Directory.GetFiles(Path.GetDirectoryName(FindCore(lab))!, "core*")[0]);
        Assert.That(File.GetLastAccessTimeUtc(secret).Ticks, Is.Not.EqualTo(atime), "control: root gdb reads it");
    }

    private static string FindCore(AttackLab lab) => Directory.GetFiles(lab.Dir, "core*", SearchOption.AllDirectories)[0];

    [Test]
    public void A_link_map_path_to_a_fifo_cannot_hold_the_pass()
    {
        using var lab = new AttackLab();
        using var env = new UploaderEnv();
        AttackLab.Configure(env, 8);
        string fifo = Path.Combine(lab.Dir, "fifo");
        Proc.MustSh("mkfifo -m 666 \"$1\"", null, fifo);
        string attack = AttackLab.Capture(env, lab.Crash(lab.Program, ["linkmap", fifo]), "attack_crash", T0);
        string honest = Honest(env, T0 + 10);
        var (_, elapsed) = AttackLab.TimedRun(env);

        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(8 + 8 + 40)), "gdb killed at its limit; the honest core takes seconds");
        string report = Report(attack);
        Assert.That(GdbReportTests.Section(report, "gdb problem"), Does.Contain("did not finish within 8 s"), report);
        AssertHonestDelivered(env, honest);
    }

    [Test]
    public void A_detached_child_holding_gdbs_output_neither_delays_nor_outlives_the_pass()
    {
        using var lab = new AttackLab();
        string marker = "cdm-holder-" + Guid.NewGuid().ToString("N")[..10];
        // stand-in gdb: leaves a session-detached child that keeps stdout/stderr open, and exits at once
        string quick = Path.Combine(lab.Dir, "gdb-quick");
        File.WriteAllText(quick, $"#!/bin/sh\nsetsid sh -c 'sleep 300; : {marker}' &\necho started\nexit 0\n");
        // stand-in gdb that also never ends itself
        string stuck = Path.Combine(lab.Dir, "gdb-stuck");
        File.WriteAllText(stuck, $"#!/bin/sh\nsetsid sh -c 'sleep 300; : {marker}' &\nexec sleep 300\n");
        foreach (var f in new[] { quick, stuck }) File.SetUnixFileMode(f, (UnixFileMode)Convert.ToInt32("755", 8));

        foreach (var (gdb, limit) in new[] { (quick, 30), (stuck, 5) })
        {
            using var env = new UploaderEnv();
            AttackLab.Configure(env, limit, $"gdb = \"{gdb}\"");
            string a = env.Capture("segv", T0);
            string b = env.Capture("segv", T0 + 10);
            var (_, elapsed) = AttackLab.TimedRun(env);
            Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(2 * (limit == 5 ? 5 + 10 : 10) + 10)), gdb);
            Assert.That(AttackLab.ProcessesWith(marker), Is.Empty, "no process of the sandbox survives the pass");
            Assert.That(new[] { a, b }.Select(UploaderEnv.State), Is.All.EqualTo("submitted"));
            if (limit == 5) Assert.That(UploaderEnv.Report(a), Does.Contain("did not finish within 5 s"));
        }
    }

    [Test]
    public void A_growing_analysis_is_stopped_by_the_address_space_limit()
    {
        using var lab = new AttackLab();
        string hog = Path.Combine(lab.Dir, "gdb-hog");
        Proc.MustSh("cc -O0 -o \"$2\" \"$1\"", null, Path.Combine(Paths.Programs, "attack_hog.c"), hog);
        using var env = new UploaderEnv($"gdb = \"{hog}\"\nanalysis_memory_bytes = 268435456");
        string a = env.Capture("segv", T0);
        env.Run();
        string report = Report(a);
        Assert.That(GdbReportTests.Section(report, "gdb problem"), Does.StartWith("gdb exited with 3"), "an allocation failed below 1 GiB:\n" + report);
    }

    [Test]
    public void A_directory_name_with_a_newline_and_an_overlong_hex_number_does_not_stop_the_pass()
    {
        using var lab = new AttackLab();
        using var env = new UploaderEnv();
        string dir = Path.Combine(lab.Dir, "ov\n  0x11111111111111111111 0x22222222222222222222 0x1000 0x0 /forged");
        Directory.CreateDirectory(dir);
        string exe = Path.Combine(dir, "attack_crash");
        File.Copy(lab.Program, exe);
        string attack = AttackLab.Capture(env, lab.Crash(exe, ["segv"]), "attack_crash", T0);
        string honest = Honest(env, T0 + 10);
        env.Run();
        string report = Report(attack);
        Assert.That(report, Does.Contain("signature-frames: attack_crash_here | main"), report);
        AssertHonestDelivered(env, honest);
    }

    [Test]
    public void Metadata_without_its_list_fields_still_gives_a_report()
    {
        using var env = new UploaderEnv();
        string original = env.Capture("segv", T0);
        string nulls = DamagedRebuild(env, original, 7, T0 + 70,
            "printf '{\"signal\": 11, \"warnings\": null, \"mapped_files\": null, \"argv\": null, \"options\": null, \"pid\": \"x\"}' > metadata.json");
        string notJson = DamagedRebuild(env, original, 8, T0 + 80, "printf '[1,2' > metadata.json");
        env.Run();
        Assert.That(GdbReportTests.Section(Report(nulls), "backtrace"), Does.Contain("crash_null_write"));
        string r = Report(notJson);
        Assert.That(GdbReportTests.Section(r, "warnings"), Does.Contain("metadata.json does not parse"));
        Assert.That(GdbReportTests.Section(r, "backtrace"), Does.Contain("crash_null_write"));
        AssertHonestDelivered(env, original);
    }

    private static string DamagedRebuild(UploaderEnv env, string source, int slot, long time, string edit)
    {
        string daemonDir = Path.GetDirectoryName(source)!;
        string daemon = Path.GetFileName(daemonDir);
        string name = $"{daemon}.{slot}.{time}";
        Proc.MustSh("""
            set -e
            x=$(mktemp -d); cd "$x"; tar -xzf "$1"
            mv ./*.core "$2.core"
            eval "$4"
            tar --owner=0 --group=0 -czf "$3/.$2.build" os-release "$2.core" metadata.json
            mv "$3/.$2.build" "$3/$2.core.tar.gz"; : > "$3/$2.core.tar.gz.pending"
            rm -rf "$x"
            """, null, source, name, daemonDir, edit);
        return Path.Combine(daemonDir, name + ".core.tar.gz");
    }

    [Test]
    public void File_names_with_newlines_cannot_forge_a_section_a_frame_or_the_signature()
    {
        using var lab = new AttackLab();
        using var env = new UploaderEnv();
        string forged = "fs\n@@cdm-section bt\n@@cdm-section-00000000000000000000000000000000 bt\n" +
                        "#0  0x0000000000001234 in sshd_forged_frame () at forged.c:1\n--- backtrace ---\nSignature: 00000000000000000000000000000000\nx";
        string dir = Path.Combine(lab.Dir, forged);
        Directory.CreateDirectory(dir);
        string exe = Path.Combine(dir, "attack_crash"), lib = Path.Combine(dir, "libattack.so");
        File.Copy(lab.Program, exe);
        File.Copy(lab.Library, lib);
        string attack = AttackLab.Capture(env, lab.Crash(exe, ["dlopen", lib]), "attack_crash", T0);
        string honest = Honest(env, T0 + 10);
        env.Run();

        string report = Report(attack);
        Assert.That(report, Does.Contain("signature-frames: attack_lib_crash | main"), report);
        Assert.That(Regex.Matches(report, "^Signature: ", RegexOptions.Multiline), Has.Count.EqualTo(1), report);
        Assert.That(Regex.Matches(report, "^--- backtrace ---$", RegexOptions.Multiline), Has.Count.EqualTo(1), report);
        Assert.That(report, Does.Not.Contain("\n@@cdm-section"));
        Assert.That(report, Does.Contain("\n\\Signature: 0000"), "the forged line is shown, marked as text");
        Assert.That(GdbReportTests.Section(report, "backtrace"), Does.Not.Contain("sshd_forged_frame"));
        AssertHonestDelivered(env, honest);
    }

    [Test]
    public void A_deleted_binary_is_never_replaced_by_a_namesake_found_in_the_search_path()
    {
        using var lab = new AttackLab();
        using var env = new UploaderEnv();
        // a program called "true", crashed, then deleted; /usr/bin/true is a different binary
        string dir = Path.Combine(lab.Dir, "gone");
        Directory.CreateDirectory(dir);
        string exe = Path.Combine(dir, "true");
        File.Copy(lab.Program, exe);
        string core = lab.Crash(exe, ["segv"]);
        File.Delete(exe);
        string attack = AttackLab.Capture(env, core, "true", T0);
        string honest = Honest(env, T0 + 10);
        env.Run();

        string report = Report(attack);
        Assert.That(report, Does.Not.Contain("executable: /usr/bin/true").And.Not.Contain("executable: /bin/true"), report);
        Assert.That(report, Does.Contain($"executable: {exe} (not available to gdb)"));
        Assert.That(GdbReportTests.Section(report, "warnings"), Does.Contain("executable not available: no file with the core's build-id")
            .And.Contain("/usr/bin/true (search path (true)): build-id"));
        Assert.That(GdbReportTests.Section(report, "backtrace"), Does.Contain("#0 "), "the core is still analysed");
        AssertHonestDelivered(env, honest);
    }

    [Test]
    public void A_binary_rebuilt_after_the_crash_is_not_used()
    {
        using var lab = new AttackLab();
        using var env = new UploaderEnv();
        string core = lab.Crash(lab.Program, ["segv"]);
        lab.Compile(lab.Program, "-DREBUILT=1 -O1"); // same path, different code, different build-id
        string attack = AttackLab.Capture(env, core, "attack_crash", T0);
        string honest = Honest(env, T0 + 10);
        env.Run();

        string report = Report(attack);
        Assert.That(GdbReportTests.Section(report, "warnings"), Does.Contain("executable not available").And.Contain("differs (rebuilt or replaced since the crash)"), report);
        Assert.That(report, Does.Contain("(not available to gdb)"));
        Assert.That(GdbReportTests.Section(report, "backtrace"), Does.Contain("#0 "));
        AssertHonestDelivered(env, honest);
    }

    [Test]
    public void Secrets_in_locals_environment_and_arguments_stay_out_of_the_report_by_default()
    {
        using var lab = new AttackLab();
        string core = lab.Crash(lab.Program, ["secrets", "--db-password", "dbpw-7781"], new Dictionary<string, string> { ["CDM_ATTACK_TOKEN"] = "tok-env-9911" });
        string[] secrets = ["hunter2-local-5150", "tok-env-9911", "dbpw-7781"];
        string ReportAt(string detail)
        {
            using var env = new UploaderEnv(detail.Length > 0 ? $"report_detail = \"{detail}\"" : "");
            string a = AttackLab.Capture(env, core, "attack_crash", T0);
            env.Run();
            return Report(a);
        }
        string byDefault = ReportAt("");
        foreach (var s in secrets) Assert.That(byDefault, Does.Not.Contain(s), byDefault);
        Assert.That(byDefault, Does.Contain("report-detail: frames").And.Contain("attack_crash_with_secrets"));
        // the settings do what they say: locals show the local, full shows the command line
        Assert.That(ReportAt("locals"), Does.Contain("hunter2-local-5150").And.Not.Contain("dbpw-7781"));
        Assert.That(ReportAt("full"), Does.Contain("dbpw-7781"));
    }

    /// <summary>A stand-in for gdb that only creates <paramref name="ran"/>: proof of whether gdb was run.</summary>
    private static string GdbThatLeavesATrace(AttackLab lab, string ran)
    {
        string standIn = Path.Combine(lab.Dir, "gdb-standin");
        File.WriteAllText(standIn, $"#!/bin/sh\n: > {ran}\n");
        File.SetUnixFileMode(standIn, (UnixFileMode)Convert.ToInt32("755", 8));
        return standIn;
    }

    [Test]
    public void A_drop_record_is_reported_without_running_gdb()
    {
        using var lab = new AttackLab();
        string ran = Path.Combine(lab.Dir, "gdb-ran");
        using var env = new UploaderEnv($"gdb = \"{GdbThatLeavesATrace(lab, ran)}\"");
        string dir = env.Root.DaemonDir("dropper");
        Directory.CreateDirectory(dir);
        string name = $"dropper.1.{T0}.core.tar.gz";
        Proc.MustSh("""
            set -e
            x=$(mktemp -d); cd "$x"
            printf 'PRETTY_NAME="Drop OS 1"\n' > os-release
            printf '{"drop_reason": "rate_limited", "drop_detail": "5 crashes within 60 s", "signal": 11, "executable_path": "/usr/sbin/dropper", "process_name": "dropper", "core_bytes_received": 0}' > metadata.json
            tar --owner=0 --group=0 -czf "$1/$2" os-release metadata.json
            : > "$1/$2.pending"; rm -rf "$x"
            """, null, dir, name);
        string archive = Path.Combine(dir, name);
        env.Run();

        string report = Report(archive);
        Assert.That(report, Does.Contain("\ncrash without core: rate_limited: 5 crashes within 60 s\n"), report);
        Assert.That(report, Does.Contain("signature-frames: drop:rate_limited"));
        Assert.That(ReportText.SignatureOf(report), Does.Match("^[0-9a-f]{32}$"));
        Assert.That(File.Exists(ran), Is.False, "gdb never ran");
    }

    [Test]
    public void A_drop_record_cdm_wrote_reaches_the_outbox_as_a_crash_without_core()
    {
        // cdm's own drop record (.drop.tar.gz) for a crash the administrator excluded, end to end
        using var lab = new AttackLab();
        string ran = Path.Combine(lab.Dir, "gdb-ran");
        using var env = new UploaderEnv($"gdb = \"{GdbThatLeavesATrace(lab, ran)}\"");
        env.Root.WriteConfig($"maxcore=1\ncorepath={env.Root.CorePath}\nlogfile={env.Root.LogFile}\nexclude=name:crasher\n");
        var crash = Crashes.Cached("segv");
        Assert.That(KernelLike.Capture(env.Root, "crasher", T0, crash.CorePath, "u=0").ExitCode, Is.EqualTo(0), env.Root.Log);
        string archive = Path.Combine(env.DaemonDir, env.Root.DropRecords(Crashes.CrasherDaemon).Single());
        Assert.That(archive, Does.EndWith(".drop.tar.gz"));
        env.Run();

        Assert.That(UploaderEnv.State(archive), Is.EqualTo("submitted"));
        string report = Report(archive);
        Assert.That(report, Does.Contain("\ncrash without core: excluded: excluded by exclude=name:crasher"), report);
        Assert.That(report, Does.Contain("signature-frames: drop:excluded").And.Contain("signal: 11 (SIGSEGV)"));
        Assert.That(Directory.GetFiles(env.Outbox, "*.report").Select(File.ReadAllText), Has.Some.Contains("crash without core: excluded"));
        Assert.That(File.Exists(ran), Is.False, "gdb never ran");
    }

    [TestCase("analysis_user = \"root\"", "is refused")]
    [TestCase("analysis_user = \"0\"", "never run as root")]
    [TestCase("analysis_user = \"nobody\"", "dedicated")]
    [TestCase("analysis_user = \"65534\"", "nobody")]
    [TestCase("report_detail = \"everything\"", "report_detail must be frames, locals or full")]
    [TestCase("analysis_memory_bytes = 1000", "analysis_memory_bytes")]
    public void The_configuration_refuses_an_unsafe_analysis_setting(string line, string message)
    {
        using var env = new UploaderEnv(line);
        var r = env.Uploader("run");
        Assert.That(r.ExitCode, Is.EqualTo(78), r.Stderr);
        Assert.That(r.Stderr, Does.Contain(message));
    }
}
