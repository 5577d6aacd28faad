namespace CoreDump.Tests.Cdm;

/// <summary>Disk guards and the crash-loop limit, through the published binary.</summary>
public class GuardTests
{
    [Test]
    public void CrashLoopIsSuppressedAndCountedInTheNextArchive()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 10, extraConfig: "ratelimit_burst=3\nratelimit_interval=2\n");
        string d = crash.Daemon;
        for (int i = 0; i < 5; i++) KernelLike.Capture(root, "loop", 8000 + i, crash.CorePath);
        Assert.That(root.Archives(d), Has.Length.EqualTo(3));
        Assert.That(root.Log.Split('\n').Count(l => l.Contains("suppressed: crash loop")), Is.EqualTo(2));
        // the two suppressed crashes are still accounted for: drop records without a core
        Assert.That(root.DropRecords(d), Is.EqualTo(new[] { $"{d}.1.8003.drop.tar.gz", $"{d}.2.8004.drop.tar.gz" }));
        foreach (var drop in root.DropRecords(d))
        {
            var dc = new ArchiveCheck(Path.Combine(root.DaemonDir(d), drop));
            Assert.That(dc.Members, Is.EqualTo(new[] { "os-release", "metadata.json" }));
            Assert.That(dc.Metadata.DropReason, Is.EqualTo("rate_limited"));
            Assert.That(dc.Metadata.DropDetail, Does.Contain("crash loop"));
            Assert.That(dc.Metadata.Pid, Is.EqualTo(crash.Pid), "the ELF notes were read");
            Assert.That(File.Exists(Path.Combine(root.DaemonDir(d), drop + ".pending")));
        }
        Thread.Sleep(2100); // the 2 s window ends
        KernelLike.Capture(root, "loop", 8010, crash.CorePath);
        var archives = root.Archives(d);
        Assert.That(archives, Has.Length.EqualTo(4));
        var last = new ArchiveCheck(Path.Combine(root.DaemonDir(d), archives.Single(a => a.Contains(".8010."))));
        Assert.That(last.Metadata.SuppressedSinceLast, Is.EqualTo(2));
        Assert.That(root.Log, Does.Contain("2 crashes were suppressed"));
    }

    [Test]
    public void MaxUseAbortsCleanlyAndKeepsWhatWasThere()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 1);
        string first = crash.Daemon, second = Crashes.UnverifiedDaemon("second");
        KernelLike.Capture(root, "first", 8100, crash.CorePath);
        long used = new FileInfo(Path.Combine(root.DaemonDir(first), root.Archives(first).Single())).Length;
        root.WriteConfig($"maxcore=1\ncorepath={root.CorePath}\nlogfile={root.LogFile}\nmaxuse={used + 1000}\n");
        var noise = Path.Combine(root.Dir, "noise");
        var data = new byte[12 << 20];
        new Random(1).NextBytes(data);
        File.WriteAllBytes(noise, data);
        KernelLike.Capture(root, "second", 8101, noise);
        Assert.That(root.Archives(second), Is.Empty);
        Assert.That(Directory.GetFiles(root.DaemonDir(second)).Select(Path.GetFileName).Where(f => f != ".ratelimit"),
            Is.EquivalentTo(new[] { $"{second}.1.8101.drop.tar.gz", $"{second}.1.8101.drop.tar.gz.pending" }), "partial removed, drop record left");
        var drop = new ArchiveCheck(Path.Combine(root.DaemonDir(second), $"{second}.1.8101.drop.tar.gz")).Metadata;
        Assert.That(drop.DropReason, Is.EqualTo("disk_guard"));
        Assert.That(drop.DropDetail, Does.Contain("above maxuse"));
        Assert.That(drop.CoreBytesReceived, Is.GreaterThan(0));
        Assert.That(root.Log, Does.Contain("above maxuse"));
        new ArchiveCheck(Path.Combine(root.DaemonDir(first), root.Archives(first).Single()));
        // the same daemon's replacement of its own last slot does not count the archive it replaces
        KernelLike.Capture(root, "first", 8102, crash.CorePath);
        Assert.That(root.Archives(first), Is.EqualTo(new[] { $"{first}.1.8102.core.tar.gz" }));
    }

    [Test]
    public void KeepFreeRefusesBeforeWriting()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 1);
        var df = new DriveInfo(root.Dir);
        int percent = (int)Math.Min(90, df.AvailableFreeSpace * 100 / df.TotalSize + 5);
        if (df.AvailableFreeSpace * 100 / df.TotalSize >= 85) Assert.Inconclusive("filesystem too empty to test keepfree=90%");
        root.WriteConfig($"maxcore=1\ncorepath={root.CorePath}\nlogfile={root.LogFile}\nkeepfree={percent}%\n");
        KernelLike.Capture(root, "kf", 8200, crash.CorePath);
        Assert.That(root.Archives(crash.Daemon), Is.Empty);
        var drop = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.DropRecords(crash.Daemon).Single())).Metadata;
        Assert.That(drop.DropReason, Is.EqualTo("disk_guard"));
        Assert.That(drop.DropDetail, Does.Contain($"below keepfree={percent}%"));
        Assert.That(root.Log, Does.Contain($"below keepfree={percent}%"));
    }

    [Test]
    public void MaxCoreSizeCutsAndFlags()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 1, extraConfig: "maxcoresize=100K\n");
        KernelLike.Capture(root, "big", 8300, crash.CorePath);
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single()));
        Assert.That(new FileInfo(check.CoreFile).Length, Is.EqualTo(100 * 1024));
        Assert.That(check.Metadata.Truncated, Is.True);
        Assert.That(check.Metadata.TruncatedReason, Does.Contain("maxcoresize"));
        var full = File.ReadAllBytes(crash.CorePath);
        Assert.That(File.ReadAllBytes(check.CoreFile), Is.EqualTo(full[..(100 * 1024)]));
    }
}
