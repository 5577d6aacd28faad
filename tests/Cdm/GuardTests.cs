namespace CoreDump.Tests.Cdm;

/// <summary>Disk guards and the crash-loop limit, through the published binary.</summary>
public class GuardTests
{
    [Test]
    public void CrashLoopIsSuppressedAndCountedInTheNextArchive()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 10, extraConfig: "ratelimit_burst=3\nratelimit_interval=2\n");
        for (int i = 0; i < 5; i++) KernelLike.Capture(root, "loop", 8000 + i, crash.CorePath);
        Assert.That(root.Archives("loop"), Has.Length.EqualTo(3));
        Assert.That(root.Log.Split('\n').Count(l => l.Contains("suppressed: crash loop")), Is.EqualTo(2));
        Thread.Sleep(2100); // the 2 s window ends
        KernelLike.Capture(root, "loop", 8010, crash.CorePath);
        var archives = root.Archives("loop");
        Assert.That(archives, Has.Length.EqualTo(4));
        var last = new ArchiveCheck(Path.Combine(root.DaemonDir("loop"), archives.Single(a => a.Contains(".8010."))));
        Assert.That(last.Metadata.SuppressedSinceLast, Is.EqualTo(2));
        Assert.That(root.Log, Does.Contain("2 crashes were suppressed"));
    }

    [Test]
    public void MaxUseAbortsCleanlyAndKeepsWhatWasThere()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 1);
        KernelLike.Capture(root, "first", 8100, crash.CorePath);
        long used = new FileInfo(Path.Combine(root.DaemonDir("first"), root.Archives("first").Single())).Length;
        root.WriteConfig($"maxcore=1\ncorepath={root.CorePath}\nlogfile={root.LogFile}\nmaxuse={used + 1000}\n");
        var noise = Path.Combine(root.Dir, "noise");
        var data = new byte[12 << 20];
        new Random(1).NextBytes(data);
        File.WriteAllBytes(noise, data);
        KernelLike.Capture(root, "second", 8101, noise);
        Assert.That(root.Archives("second"), Is.Empty);
        Assert.That(Directory.GetFiles(root.DaemonDir("second")).Where(f => !f.EndsWith(".ratelimit")), Is.Empty, "partial removed");
        Assert.That(root.Log, Does.Contain("above maxuse"));
        new ArchiveCheck(Path.Combine(root.DaemonDir("first"), root.Archives("first").Single()));
        // the same daemon's replacement of its own last slot does not count the archive it replaces
        KernelLike.Capture(root, "first", 8102, crash.CorePath);
        Assert.That(root.Archives("first"), Is.EqualTo(new[] { "first.1.8102.core.tar.gz" }));
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
        Assert.That(root.Archives("kf"), Is.Empty);
        Assert.That(root.Log, Does.Contain($"below keepfree={percent}%"));
    }

    [Test]
    public void MaxCoreSizeCutsAndFlags()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 1, extraConfig: "maxcoresize=100K\n");
        KernelLike.Capture(root, "big", 8300, crash.CorePath);
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir("big"), root.Archives("big").Single()));
        Assert.That(new FileInfo(check.CoreFile).Length, Is.EqualTo(100 * 1024));
        Assert.That(check.Metadata.Truncated, Is.True);
        Assert.That(check.Metadata.TruncatedReason, Does.Contain("maxcoresize"));
        var full = File.ReadAllBytes(crash.CorePath);
        Assert.That(File.ReadAllBytes(check.CoreFile), Is.EqualTo(full[..(100 * 1024)]));
    }
}
