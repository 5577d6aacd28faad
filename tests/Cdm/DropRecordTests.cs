using CoreDump.Metadata;

namespace CoreDump.Tests.Cdm;

/// <summary>Opt-outs (%c, %d), the admin's exclusion list, and the drop records every crash not stored with its
/// core leaves behind: real cores, the published binary run as the kernel runs it.</summary>
public class DropRecordTests
{
    private static CaptureMetadata OnlyDrop(TempRoot root, string dir, out ArchiveCheck check)
    {
        Assert.That(root.Archives(dir), Is.Empty, "no core archive");
        var drop = root.DropRecords(dir).Single();
        check = new ArchiveCheck(Path.Combine(root.DaemonDir(dir), drop));
        Assert.That(check.Members, Is.EqualTo(new[] { "os-release", "metadata.json" }), "no core member");
        Assert.That(File.Exists(Path.Combine(root.DaemonDir(dir), drop + ".pending")), "a marker, like a core archive");
        Assert.That(Convert.ToString((int)File.GetUnixFileMode(Path.Combine(root.DaemonDir(dir), drop)), 8), Is.EqualTo("640"));
        return check.Metadata;
    }

    [TestCase("0")]
    [TestCase("4095")]
    public void RlimitCoreBelowAPageStoresNoCore(string c)
    {
        var crash = Crashes.Cached("threads"); // large enough that reading all of it would show
        using var root = new TempRoot();
        Assert.That(KernelLike.Capture(root, "crasher", 700, crash.CorePath, $"P={crash.Pid}", $"c={c}", "s=11").ExitCode, Is.EqualTo(0), root.Log);
        var meta = OnlyDrop(root, crash.Daemon, out _);
        Assert.That(meta.DropReason, Is.EqualTo("rlimit_core"));
        Assert.That(meta.DropDetail, Does.Contain($"RLIMIT_CORE to {c} bytes"));
        Assert.That(meta.CoreBytesReceived, Is.LessThan(new FileInfo(crash.CorePath).Length / 4), "only the notes were read: stdin closed early");
        Assert.That(meta.Pid, Is.EqualTo(crash.Pid));
        Assert.That(meta.Signal, Is.EqualTo(11));
        Assert.That(meta.ProcessName, Is.EqualTo("crasher"));
        Assert.That(meta.ExecutablePath, Is.EqualTo(crash.Exe));
        Assert.That(meta.CoreMember, Is.Null);
        Assert.That(meta.DaemonDir, Is.EqualTo(crash.Daemon));
        Assert.That(root.Log, Does.Contain("dropped (rlimit_core)"));
    }

    [Test]
    public void RlimitCoreAboveAPageCutsTheCoreThere()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        KernelLike.Capture(root, "crasher", 701, crash.CorePath, "c=12288");
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single()));
        Assert.That(root.DropRecords(crash.Daemon), Is.Empty, "a cut core is an archive, not a drop record");
        Assert.That(File.ReadAllBytes(check.CoreFile), Is.EqualTo(File.ReadAllBytes(crash.CorePath)[..12288]));
        Assert.That(check.Metadata.Truncated, Is.True);
        Assert.That(check.Metadata.TruncatedReason, Does.Contain("RLIMIT_CORE"));
    }

    [TestCase("18446744073709551615")]
    [TestCase("99999999999")]
    public void UnlimitedOrLargeRlimitCoreKeepsTheWholeCore(string c)
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        KernelLike.Capture(root, "crasher", 702, crash.CorePath, $"c={c}");
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single()));
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath));
        Assert.That(check.Metadata.Truncated, Is.False);
    }

    [Test]
    public void NotDumpableLeavesADropRecordAndSuidSafeIsStored()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        KernelLike.Capture(root, "crasher", 703, crash.CorePath, "d=0");
        Assert.That(OnlyDrop(root, crash.Daemon, out _).DropReason, Is.EqualTo("not_dumpable"));
        KernelLike.Capture(root, "crasher", 704, crash.CorePath, "d=2");
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single()));
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath));
        Assert.That(check.Metadata.Dumpable, Is.EqualTo(2));
    }

    [TestCase("exclude=exe:/tmp/cdmtest-programs/*", true)]
    [TestCase("exclude=name:cras*", true)]
    [TestCase("exclude=uid:0", true)]
    [TestCase("exclude=uid:1000", false)]
    [TestCase("exclude=exe:/usr/*", false)]
    [TestCase("exclude=exe:*\ninclude=name:crasher", false)]
    [TestCase("exclude=uid:0\ninclude=exe:/tmp/cdmtest-programs/crasher\nexclude=name:*", false)]
    public void ExclusionByExecutableUidOrNameIncludeWins(string rules, bool excluded)
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(extraConfig: rules + "\n");
        KernelLike.Capture(root, "crasher", 705, crash.CorePath, "u=0");
        if (excluded)
        {
            var meta = OnlyDrop(root, crash.Daemon, out _);
            Assert.That(meta.DropReason, Is.EqualTo("excluded"));
            Assert.That(meta.DropDetail, Does.Contain("core_file.conf"));
        }
        else
        {
            Assert.That(root.Archives(crash.Daemon), Has.Length.EqualTo(1), root.Log);
            Assert.That(root.DropRecords(crash.Daemon), Is.Empty);
        }
    }

    [TestCase("exclude=crasher", "bad value \"crasher\" for exclude")]
    [TestCase("exclude=path:/tmp/*", "bad value \"path:/tmp/*\" for exclude")]
    [TestCase("include=uid:root", "bad value \"uid:root\" for include")]
    [TestCase("maxdrop=lots", "bad value \"lots\" for maxdrop")]
    public void AMistypedRuleNeverLosesACapture(string line, string warning)
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(extraConfig: line + "\n");
        KernelLike.Capture(root, "crasher", 706, crash.CorePath);
        Assert.That(root.Archives(crash.Daemon), Has.Length.EqualTo(1));
        Assert.That(root.Log, Does.Contain(warning));
    }

    [Test]
    public void DropRecordsRotateInMaxdropSlotsAndNeverEvictCoreArchives()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 1, extraConfig: "ratelimit_burst=0\n");
        KernelLike.Capture(root, "crasher", 800, crash.CorePath);
        string d = crash.Daemon;
        root.WriteConfig($"maxcore=1\ncorepath={root.CorePath}\nlogfile={root.LogFile}\nratelimit_burst=0\nexclude=name:crasher\n");
        for (int i = 1; i <= 7; i++) KernelLike.Capture(root, "crasher", 800 + i, crash.CorePath);
        Assert.That(root.DropRecords(d), Is.EqualTo(new[] { $"{d}.1.801.drop.tar.gz", $"{d}.2.802.drop.tar.gz", $"{d}.3.803.drop.tar.gz", $"{d}.4.807.drop.tar.gz" }),
            "the first maxdrop-1 kept, the last slot holds the latest");
        Assert.That(root.Archives(d), Is.EqualTo(new[] { $"{d}.1.800.core.tar.gz" }), "the core archive is never evicted by drop records");
        Assert.That(Directory.GetFiles(root.DaemonDir(d), "*.pending").Length, Is.EqualTo(5), "one marker each, the rotated ones removed");

        root.WriteConfig($"maxcore=1\ncorepath={root.CorePath}\nlogfile={root.LogFile}\nratelimit_burst=0\nexclude=name:crasher\nmaxdrop=0\n");
        KernelLike.Capture(root, "crasher", 900, crash.CorePath);
        Assert.That(root.DropRecords(d), Has.None.Contains(".900."));
        Assert.That(root.Log, Does.Contain("no drop record (maxdrop=0)"));
    }

    [Test]
    public void CoreArchivesDoNotTakeDropSlotsEither()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 2, extraConfig: "ratelimit_burst=0\nexclude=name:crasher\n");
        KernelLike.Capture(root, "crasher", 1000, crash.CorePath);
        root.WriteConfig($"maxcore=2\ncorepath={root.CorePath}\nlogfile={root.LogFile}\nratelimit_burst=0\n");
        KernelLike.Capture(root, "crasher", 1001, crash.CorePath);
        KernelLike.Capture(root, "crasher", 1002, crash.CorePath);
        string d = crash.Daemon;
        Assert.That(root.Archives(d), Is.EqualTo(new[] { $"{d}.1.1001.core.tar.gz", $"{d}.2.1002.core.tar.gz" }));
        Assert.That(root.DropRecords(d), Is.EqualTo(new[] { $"{d}.1.1000.drop.tar.gz" }));
    }

    [Test]
    public void NoDropRecordBelowTheFreeSpaceFloor()
    {
        using var root = new TempRoot();
        var mnt = Path.Combine(root.Dir, "small");
        Directory.CreateDirectory(mnt);
        var m = Proc.Run("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", mnt]);
        if (m.ExitCode != 0) Assert.Inconclusive("cannot mount a tmpfs here: " + m.Stderr);
        try
        {
            var crash = Crashes.Cached("segv");
            string core = Path.Combine(mnt, "core");
            root.WriteConfig($"maxcore=1\ncorepath={core}\nlogfile={root.LogFile}\nkeepfree=0\nexclude=name:crasher\n");
            KernelLike.Capture(root, "crasher", 1100, crash.CorePath);
            Assert.That(Directory.GetFiles(Path.Combine(core, crash.Daemon), "*.drop.tar.gz"), Has.Length.EqualTo(1), root.Log);
            Proc.MustSh("dd if=/dev/zero of=\"$1\" bs=1M count=5 2>/dev/null", null, Path.Combine(mnt, "filler"));
            KernelLike.Capture(root, "crasher", 1101, crash.CorePath);
            Assert.That(Directory.GetFiles(Path.Combine(core, crash.Daemon), "*.1101.*"), Is.Empty);
            Assert.That(root.Log, Does.Contain("no drop record: less than 4 MiB free"));
        }
        finally { Proc.Run("umount", ["-l", mnt]); }
    }
}
