using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Doctor;
using CoreDump.Uploader.Health;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Retention;

namespace CoreDump.Tests.Uploader;

/// <summary>The admin verbs' decisions, without I/O: time and size parsing, list filters, top crashers, the
/// vacuum plan, the health counters and their Prometheus text, doctor's checks on given facts.</summary>
[TestFixture]
public class AdminCliUnitTests
{
    private const long Now = 1_764_590_400; // 2025-12-01T12:00:00Z

    [TestCase("1700000000", 1_700_000_000L)]
    [TestCase("2023-11-14T22:13:20Z", 1_700_000_000L)]
    [TestCase("2023-11-14 22:13:20", 1_700_000_000L)]
    [TestCase("2023-11-15T00:13:20+02:00", 1_700_000_000L)]
    [TestCase("2025-12-01", 1_764_547_200L)]
    [TestCase("-2h", Now - 7200)]
    [TestCase("-30m", Now - 1800)]
    [TestCase("-45s", Now - 45)]
    [TestCase("-7d", Now - 7 * 86400)]
    [TestCase("-1w", Now - 7 * 86400)]
    [TestCase("3h ago", Now - 3 * 3600)]
    [TestCase("now", Now)]
    [TestCase("today", 1_764_547_200L)]
    [TestCase("yesterday", 1_764_547_200L - 86400)]
    public void Times_in_every_accepted_form(string text, long expected)
    {
        Assert.That(TimeSpec.Parse(text, Now, out var error), Is.EqualTo(expected), error);
        Assert.That(error, Is.Null);
    }

    [TestCase("")]
    [TestCase("soon")]
    [TestCase("-2x")]
    [TestCase("--2h")]
    [TestCase("2023-13-01")]
    [TestCase("99999999999999999999")]
    [TestCase("12/01/2025")]
    [TestCase("@1700000000")]
    public void Bad_times_are_refused_with_the_accepted_forms(string text)
    {
        Assert.That(TimeSpec.Parse(text, Now, out var error), Is.Null);
        Assert.That(error, Does.Contain(text.Length > 0 ? text : "''"));
    }

    [Test]
    public void Durations_and_sizes()
    {
        Assert.That(TimeSpec.Duration("30d", out long s, out _) && s == 30 * 86400);
        Assert.That(TimeSpec.Duration("90", out s, out _) && s == 90);
        Assert.That(TimeSpec.Duration("1y", out _, out var e), Is.False);
        Assert.That(e, Does.Contain("1y"));
        Assert.That(TimeSpec.Size("10G", out _), Is.EqualTo(10L << 30));
        Assert.That(TimeSpec.Size("500MiB", out _), Is.EqualTo(500L << 20));
        Assert.That(TimeSpec.Size("4096", out _), Is.EqualTo(4096));
        Assert.That(TimeSpec.Size("lots", out var why), Is.Null);
        Assert.That(why, Does.Contain("lots"));
        Assert.That(TimeSpec.Size("99999999999T", out _), Is.Null, "overflow refused");
    }

    private static ListEntry Row(string daemon, long time, string state = "submitted", string? sig = null, string? signal = "SIGSEGV") =>
        new() { Archive = $"{daemon}.1.{time}.core.tar.gz", Path = $"/c/{daemon}/{daemon}.1.{time}.core.tar.gz", Daemon = daemon, Time = time, State = state, Signature = sig, SignalName = signal };

    [Test]
    public void Filter_by_time_daemon_state_signature_and_last_n()
    {
        var rows = new[] { Row("a", 100, sig: "ABCDEF01"), Row("b", 200, "pending"), Row("a", 300, sig: "abcdef99"), Row("a", 400, "processed", "12345678") };
        Assert.That(new ArchiveFilter { Since = 200, Until = 300 }.Apply(rows, _ => throw new AssertionException("no metadata needed")).Select(r => r.Time), Is.EqualTo(new[] { 200L, 300 }));
        Assert.That(new ArchiveFilter { Daemon = "a", Last = 2 }.Apply(rows, _ => default).Select(r => r.Time), Is.EqualTo(new[] { 300L, 400 }));
        Assert.That(new ArchiveFilter { Signature = "abcdef" }.Apply(rows, _ => default).Select(r => r.Time), Is.EqualTo(new[] { 100L, 300 }));
        Assert.That(new ArchiveFilter { State = "pending" }.Apply(rows, _ => default).Single().Daemon, Is.EqualTo("b"));
        Assert.That(new ArchiveFilter { Last = 0 }.Apply(rows, _ => default), Is.Empty);
    }

    [Test]
    public void Filter_by_pid_and_executable_glob_reads_metadata_only_for_rows_left()
    {
        var rows = new[] { Row("a", 100), Row("b", 200), Row("c", 300) };
        var meta = new Dictionary<long, (int?, string?)> { [100] = (11, "/usr/sbin/sshd"), [200] = (22, "/opt/app/bin/worker (deleted)"), [300] = (null, null) };
        var asked = new List<long>();
        (int?, string?) Meta(ListEntry e) { asked.Add(e.Time); return meta[e.Time]; }
        Assert.That(new ArchiveFilter { Pid = 22 }.Apply(rows, Meta).Single().Daemon, Is.EqualTo("b"));
        Assert.That(new ArchiveFilter { Executable = "worker" }.Apply(rows, Meta).Single().Daemon, Is.EqualTo("b"), "no / : the base name, ' (deleted)' ignored");
        Assert.That(new ArchiveFilter { Executable = "/usr/*/ss?d" }.Apply(rows, Meta).Single().Daemon, Is.EqualTo("a"));
        Assert.That(new ArchiveFilter { Executable = "*" }.Apply(rows, Meta).Select(r => r.Daemon), Is.EqualTo(new[] { "a", "b" }), "unknown executable matches nothing");
        asked.Clear();
        new ArchiveFilter { Daemon = "c", Pid = 1 }.Apply(rows, Meta);
        Assert.That(asked, Is.EqualTo(new[] { 300L }), "metadata only for rows that passed the cheap rules");
    }

    [TestCase("*", "", true)]
    [TestCase("a*c", "abbbc", true)]
    [TestCase("a*c", "abbbd", false)]
    [TestCase("?", "", false)]
    [TestCase("*/bin/*", "/usr/bin/x", true)]
    [TestCase("x*y*z", "xaayzz", true)]
    public void Globs(string pattern, string text, bool match) => Assert.That(Glob.Matches(pattern, text), Is.EqualTo(match));

    [Test]
    public void Top_crashers_most_frequent_first()
    {
        var rows = new[] { Row("a", 100, sig: "s1"), Row("b", 200, sig: "s2"), Row("a", 300, sig: "s1"), Row("c", 400, sig: "S1"), Row("d", 500, "pending") };
        var top = SignatureTally.Count(rows);
        Assert.That(top.Select(t => (t.Signature, t.Count)), Is.EqualTo(new (string?, int)[] { ("s1", 3), (null, 1), ("s2", 1) }));
        Assert.That(top[0].Daemons, Is.EqualTo(new[] { "a", "c" }));
        Assert.That((top[0].FirstTime, top[0].LastTime, top[0].Latest), Is.EqualTo((100L, 400L, "c.1.400.core.tar.gz")));
    }

    private static VacuumItem Item(long time, long bytes, string state = "submitted") => new($"/c/d/d.1.{time}.core.tar.gz", time, bytes, state);

    [Test]
    public void Vacuum_by_age_removes_every_old_delivered_archive_and_keeps_undelivered()
    {
        var items = new[] { Item(Now - 40 * 86400, 10, "submitted"), Item(Now - 35 * 86400, 10, "pending"), Item(Now - 31 * 86400, 10, "rejected"), Item(Now - 86400, 10) };
        var plan = VacuumPlan.Plan(items, new VacuumRules { OlderThanSeconds = 30 * 86400 }, Now);
        Assert.That(plan.Removed.Select(r => r.Path), Is.EqualTo(new[] { items[0].Path, items[2].Path }));
        Assert.That(plan.KeptUndelivered, Is.EqualTo(new[] { items[1].Path }));
        Assert.That(plan.Removed[0].Reason, Is.EqualTo("older than 30d"));
        Assert.That((plan.TotalBytesBefore, plan.TotalBytesAfter), Is.EqualTo((40L, 20L)));

        var forced = VacuumPlan.Plan(items, new VacuumRules { OlderThanSeconds = 30 * 86400, KeepUndelivered = false }, Now);
        Assert.That(forced.Removed, Has.Count.EqualTo(3));
        Assert.That(forced.KeptUndelivered, Is.Empty);
    }

    [Test]
    public void Vacuum_by_size_removes_oldest_first_until_it_fits()
    {
        var items = new[] { Item(300, 100), Item(100, 100), Item(200, 100, "processed"), Item(400, 100) };
        var plan = VacuumPlan.Plan(items, new VacuumRules { MaxBytes = 250 }, Now);
        Assert.That(plan.Removed.Select(r => r.Path), Is.EqualTo(new[] { items[1].Path, items[0].Path }), "oldest first, the processed one skipped");
        Assert.That(plan.KeptUndelivered, Is.EqualTo(new[] { items[2].Path }));
        Assert.That((plan.TotalBytesAfter, plan.OverMaxBytes), Is.EqualTo((200L, 0L)));

        var tight = VacuumPlan.Plan(items, new VacuumRules { MaxBytes = 50 }, Now);
        Assert.That(tight.Removed, Has.Count.EqualTo(3));
        Assert.That(tight.OverMaxBytes, Is.EqualTo(50), "the undelivered archive keeps the total above the limit");
        Assert.That(VacuumPlan.Plan(items, new VacuumRules { MaxBytes = 1000 }, Now).Removed, Is.Empty);
    }

    [Test]
    public void Core_removal_candidates_are_delivered_core_archives_only()
    {
        ArchiveRef A(string state, bool drop) => new("/c", new CoreDump.Naming.ArchiveName("d", 1, 100, drop),
            Enum.Parse<CoreDump.Store.ArchiveState>(state, true), true, new MarkerInfo(), 1, 1, true);
        var all = new[] { A("submitted", false), A("submitted", true), A("processed", false), A("rejected", false), A("pending", false) };
        Assert.That(CoreRemoval.Candidates(all), Is.EqualTo(new[] { all[0] }));
    }

    [Test]
    public void Health_counters_and_prometheus_text()
    {
        var inputs = new[]
        {
            new HealthInput(false, "pending", 0, 500, 1000), new HealthInput(false, "processed", 2, 300, 1000),
            new HealthInput(false, "submitted", 0, 100, 1000), new HealthInput(false, "rejected", 0, 200, 1000),
            new HealthInput(true, "submitted", 0, 150, 10, "rate_limited"), new HealthInput(true, "pending", 0, 600, 10, "excluded"),
            new HealthInput(true, "pending", 0, 700, 10, "evil\"\n{x}"),
        };
        var h = HealthCounters.From(inputs, suppressed: 7, outboxReports: 2, outboxBytes: 99, problems: [], now: 1000);
        Assert.That((h.Captured, h.DropRecords, h.Delivered, h.Rejected, h.Waiting, h.Failed), Is.EqualTo((4, 3, 2, 1, 4, 1)));
        Assert.That((h.OldestWaitingTime, h.OldestWaitingAgeSeconds, h.ArchiveBytes), Is.EqualTo(((long?)300, (long?)700, 4030L)));
        Assert.That(h.DroppedByReason["rate_limited"], Is.EqualTo(1));
        Assert.That(h.DroppedByReason["other"], Is.EqualTo(1), "a reason that is not a plain word is not a label");
        Assert.That(h.DroppedByReason["disk_guard"], Is.EqualTo(0), "every known reason is always present");

        string text = PrometheusText.Format(h);
        var lines = text.TrimEnd('\n').Split('\n');
        foreach (var metric in lines.Where(l => !l.StartsWith('#')).Select(l => l.Split(['{', ' '])[0]).Distinct())
        {
            Assert.That(metric, Does.StartWith("cdm_"));
            Assert.That(lines, Does.Contain($"# TYPE {metric} gauge"));
            Assert.That(lines.Any(l => l.StartsWith($"# HELP {metric} ", StringComparison.Ordinal)), metric);
        }
        Assert.That(lines, Does.Contain("cdm_archives{kind=\"core\",state=\"pending\"} 1"));
        Assert.That(lines, Does.Contain("cdm_archives{kind=\"drop\",state=\"pending\"} 2"));
        Assert.That(lines, Does.Contain("cdm_drop_records{reason=\"rate_limited\"} 1"));
        Assert.That(lines, Does.Contain("cdm_suppressed_crashes 7"));
        Assert.That(lines, Does.Contain("cdm_reports_failed 1"));
        Assert.That(lines, Does.Contain("cdm_oldest_waiting_crash_timestamp_seconds 300"));
        Assert.That(lines, Does.Contain("cdm_outbox_bytes 99"));
        Assert.That(lines.All(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^(# (HELP|TYPE) cdm_[a-z_]+ .+|cdm_[a-z_]+(\{[a-z_]+=""[^""\\\n]*""(,[a-z_]+=""[^""\\\n]*"")*\})? -?[0-9]+)$")), text);
        Assert.That(PrometheusText.Escape("a\"b\\c\nd"), Is.EqualTo("a\\\"b\\\\c\\nd"));
        Assert.That(HealthCounters.SuppressedOf("1700000000 10 4\n"), Is.EqualTo(4));
        Assert.That(HealthCounters.SuppressedOf("garbage"), Is.EqualTo(0));
    }

    private static MachineFacts GoodMachine() => new()
    {
        CorePattern = DoctorChecks.OurPattern, CorePipeLimit = "0\n", SuidDumpable = "2\n",
        SysctlFiles = [("/usr/lib/sysctl.d/50-default.conf", "kernel.core_pattern = core\n"), ("/etc/sysctl.d/50-coredump.conf", "kernel.core_pattern=" + DoctorChecks.OurPattern + "\n")],
        Cdm = new FileFacts(true, true, false, false, 0, 0x81ed), GdbFound = "/usr/bin/gdb",
        Corepath = new FileFacts(true, false, true, false, 0, 0x41ed), FreeBytes = 50L << 30, TotalBytes = 100L << 30, KeepFree = "10%",
        Passwd = "root:x:0:0::/root:/bin/sh\ncdm-analysis:x:998:998::/nonexistent:/usr/sbin/nologin\n", ConfigPath = "/etc/cdm/uploader.toml",
    };

    [Test]
    public void Doctor_passes_a_machine_set_up_right()
    {
        var checks = DoctorChecks.All(GoodMachine());
        Assert.That(checks.Where(c => c.Status != CheckStatus.Ok), Is.Empty, string.Join("\n", checks));
        Assert.That(checks.Select(c => c.Name), Is.SupersetOf(new[] { "core_pattern", "core_pattern at boot", "core_pipe_limit", "fs.suid_dumpable",
            "other crash handlers", "cdm binary", "gdb", "corepath", "free space", "analysis user", "uploader config" }));
    }

    [TestCase("core", "the kernel itself")]
    [TestCase("|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h", "systemd-coredump")]
    [TestCase("|/usr/share/apport/apport -p%p -s%s -c%c -d%d -P%P -u%u -g%g -- %E", "apport")]
    [TestCase("|/usr/libexec/abrt-hook-ccpp %s %c %p %u %g %t e %P %I %h", "ABRT")]
    [TestCase("|/sbin/cdm %t %e", "without %e %t")]
    [TestCase("|/tmp/cdm-evil %e %t", "the program /tmp/cdm-evil")]
    public void Doctor_names_who_takes_the_cores(string pattern, string named)
    {
        var c = DoctorChecks.CorePattern(pattern + "\n");
        Assert.That(c.Status, Is.EqualTo(CheckStatus.Fail));
        Assert.That(c.Detail, Does.Contain(named));
        Assert.That(c.Fix, Does.Contain("sysctl"));
    }

    [Test]
    public void Doctor_finds_each_wrong_setting_with_its_fix()
    {
        DoctorCheck Only(MachineFacts f, string name) => DoctorChecks.All(f).Single(c => c.Name == name && c.Status != CheckStatus.Ok);
        var good = GoodMachine();
        Assert.That(Only(good with { SuidDumpable = "0\n" }, "fs.suid_dumpable").Fix, Does.Contain("fs.suid_dumpable=2"));
        Assert.That(Only(good with { CorePipeLimit = "4\n" }, "core_pipe_limit").Status, Is.EqualTo(CheckStatus.Warn));
        var boot = Only(good with { SysctlFiles = [.. good.SysctlFiles, ("/etc/sysctl.d/60-apport.conf", "kernel.core_pattern = |/usr/share/apport/apport %p\n")] }, "core_pattern at boot");
        Assert.That(boot.Detail, Does.Contain("apport").And.Contain("60-apport.conf"));
        Assert.That(Only(good with { ApportDefaults = "# set this to 0\nenabled=1\n" }, "other crash handlers").Fix, Does.Contain("enabled=0"));
        Assert.That(DoctorChecks.All(good with { ApportDefaults = "enabled=0\n" }).Where(c => c.Status != CheckStatus.Ok), Is.Empty);
        Assert.That(Only(good with { EnabledUnits = ["abrt-ccpp.service"] }, "other crash handlers").Fix, Does.Contain("systemctl disable --now abrt-ccpp.service"));
        Assert.That(Only(good with { Cdm = new FileFacts(false, false, false, false, 0, 0) }, "cdm binary").Detail, Does.Contain("/sbin/cdm does not exist"));
        Assert.That(Only(good with { Cdm = new FileFacts(true, true, false, false, 1000, 0x81ed) }, "cdm binary").Fix, Does.Contain("chown root"));
        Assert.That(Only(good with { Cdm = new FileFacts(true, true, false, false, 0, 0x81ff) }, "cdm binary").Detail, Does.Contain("0777"));
        Assert.That(Only(good with { GdbFound = null }, "gdb").Fix, Does.Contain("apt-get install gdb"));
        Assert.That(Only(good with { Corepath = new FileFacts(true, false, true, false, 0, 0x41ff) }, "corepath").Fix, Does.Contain("chmod 0755"));
        Assert.That(Only(good with { UploaderCorepath = "/srv/core" }, "corepath").Detail, Does.Contain("/srv/core"));
        Assert.That(Only(good with { Corepath = new FileFacts(false, false, false, false, 0, 0) }, "corepath").Status, Is.EqualTo(CheckStatus.Warn));
        Assert.That(Only(good with { FreeBytes = 5L << 30 }, "free space").Fix, Does.Contain("vacuum"));
        Assert.That(Only(good with { KeepFree = "20G", FreeBytes = 10L << 30 }, "free space").Status, Is.EqualTo(CheckStatus.Fail));
        Assert.That(Only(good with { Passwd = "root:x:0:0::/root:/bin/sh\n" }, "analysis user").Detail, Does.Contain("65530"));
        Assert.That(Only(good with { AnalysisUser = "root" }, "analysis user").Status, Is.EqualTo(CheckStatus.Fail));
        Assert.That(Only(good with { ConfigError = "x.toml(1,1): bad" }, "uploader config").Status, Is.EqualTo(CheckStatus.Fail));
        Assert.That(DoctorChecks.Report(DoctorChecks.All(good with { SuidDumpable = "0" })).Failed, Is.EqualTo(1));
    }

    [Test]
    public void Sysctl_boot_value_is_the_last_assignment()
    {
        var (v, f) = DoctorChecks.BootValue([("a", "kernel.core_pattern=one\n# kernel.core_pattern=x\n"), ("b", " kernel/core_pattern = two \n-kernel.core_pipe_limit=3")], "kernel.core_pattern");
        Assert.That((v, f), Is.EqualTo(("two", "b")));
        Assert.That(DoctorChecks.CoreFileValue("corepath=/a\n# corepath=/b\ncorepath = \"/c\" # comment\n", "corepath"), Is.EqualTo("/c"));
        Assert.That(DoctorChecks.KeepFreeBytes("10%", 1000), Is.EqualTo(100));
        Assert.That(DoctorChecks.KeepFreeBytes("1M", 0), Is.EqualTo(1 << 20));
    }

    [Test]
    public void Report_metadata_section_is_found_and_ends_at_the_next_heading()
    {
        string report = "report-id: x\n\n--- release ---\nX\n\n--- metadata ---\n{\n  \"pid\": 42,\n  \"executable_path\": \"/a/b\"\n}\n\n--- other ---\nz\n";
        var json = CoreDump.Uploader.Commands.CrashFacts.MetadataSection(report)!;
        var m = MetadataView.Parse(json);
        Assert.That((m.Pid, m.ExecutablePath), Is.EqualTo(((int?)42, "/a/b")));
    }

    [Test]
    public void Debuggers_get_their_no_auto_load_settings_and_unknown_ones_are_refused()
    {
        Assert.That(Debuggers.KindOf("/usr/bin/gdb-multiarch"), Is.EqualTo(Debuggers.Kind.Gdb));
        Assert.That(Debuggers.KindOf("aarch64-linux-gnu-gdb"), Is.EqualTo(Debuggers.Kind.Gdb));
        Assert.That(Debuggers.KindOf("lldb-16"), Is.EqualTo(Debuggers.Kind.Lldb));
        Assert.That(Debuggers.KindOf("/bin/sh"), Is.Null);
        Assert.That(Debuggers.KindOf("gdbserver"), Is.Null);
        var gdb = Debuggers.Arguments(Debuggers.Kind.Gdb, ReportDetail.Frames, "exe", "core");
        Assert.That(gdb.Take(2), Is.EqualTo(new[] { "-nx", "-nh" }));
        Assert.That(gdb, Does.Contain("set auto-load off"));
        Assert.That(gdb.TakeLast(3), Is.EqualTo(new[] { "exe", "-c", "core" }));
        var lldb = Debuggers.Arguments(Debuggers.Kind.Lldb, ReportDetail.Frames, null, "core");
        Assert.That(lldb[0], Is.EqualTo("--no-lldbinit"));
        Assert.That(lldb, Does.Contain("settings set target.load-script-from-symbol-file false"));
        Assert.That(lldb.TakeLast(2), Is.EqualTo(new[] { "--core", "core" }));
    }
}
