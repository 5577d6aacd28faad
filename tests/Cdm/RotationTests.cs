namespace CoreDump.Tests.Cdm;

/// <summary>The design's slot rule through the real binary: first maxcore-1 kept, the last slot holds the latest.</summary>
public class RotationTests
{
    private static readonly long[] Times = [1000, 1001, 1002, 1003, 1004, 1005];

    [TestCase(1, new[] { "rot.1.1005.core.tar.gz" })]
    [TestCase(3, new[] { "rot.1.1000.core.tar.gz", "rot.2.1001.core.tar.gz", "rot.3.1005.core.tar.gz" })]
    [TestCase(0, new string[0])]
    public void SixSuccessiveCrashes(int maxcore, string[] expected)
    {
        var crash = Crashes.Cached("segv");
        string d = crash.Daemon;
        expected = expected.Select(e => e.Replace("rot.", d + ".")).ToArray();
        using var root = new TempRoot(maxcore);
        var seen = new List<string[]>();
        foreach (long t in Times)
        {
            Assert.That(KernelLike.Capture(root, "rot", t, crash.CorePath).ExitCode, Is.EqualTo(0), root.Log);
            seen.Add(root.Archives(d));
        }
        Assert.That(root.Archives(d), Is.EqualTo(expected));
        if (maxcore == 3)
        {
            Assert.That(seen[0], Is.EqualTo(new[] { $"{d}.1.1000.core.tar.gz" }));
            Assert.That(seen[2], Is.EqualTo(new[] { $"{d}.1.1000.core.tar.gz", $"{d}.2.1001.core.tar.gz", $"{d}.3.1002.core.tar.gz" }));
            Assert.That(seen[3], Is.EqualTo(new[] { $"{d}.1.1000.core.tar.gz", $"{d}.2.1001.core.tar.gz", $"{d}.3.1003.core.tar.gz" }));
        }
        foreach (var a in expected)
        {
            var check = new ArchiveCheck(Path.Combine(root.DaemonDir(d), a));
            Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath));
            Assert.That(File.Exists(Path.Combine(root.DaemonDir(d), a + ".pending")));
        }
        // one marker per archive and nothing else left behind
        if (maxcore > 0)
            Assert.That(Directory.GetFiles(root.DaemonDir(d)).Select(Path.GetFileName).Where(f => f != ".ratelimit").Count(), Is.EqualTo(2 * expected.Length));
        if (maxcore == 0) Assert.That(root.Log, Does.Contain("not kept (maxcore=0)"));
    }

    [Test]
    public void FourConcurrentCapturesOfOneDaemon()
    {
        var crash = Crashes.Cached("segv");
        var core = File.ReadAllBytes(crash.CorePath);
        using var root = new TempRoot(maxcore: 3);
        long[] times = [2001, 2002, 2003, 2004];
        // all four are started before any core byte is written, so their captures overlap
        var procs = times.Select(t => KernelLike.Start(root, "conc", t)).ToList();
        var feeders = procs.Select(p => Task.Run(() =>
        {
            var s = p.StandardInput.BaseStream;
            for (int off = 0; off < core.Length; off += 4096) { s.Write(core, off, Math.Min(4096, core.Length - off)); s.Flush(); }
            p.StandardInput.Close();
        })).ToArray();
        Task.WaitAll(feeders);
        foreach (var p in procs) { Assert.That(p.WaitForExit(60_000)); Assert.That(p.ExitCode, Is.EqualTo(0), root.Log); }

        string d = crash.Daemon;
        var archives = root.Archives(d);
        Assert.That(archives.Select(a => a.Split('.')[1]), Is.EqualTo(new[] { "1", "2", "3" }), string.Join(",", archives));
        Assert.That(archives, Has.Some.EndsWith(".2004.core.tar.gz"), "the latest crash is always kept");
        foreach (var a in archives)
        {
            var check = new ArchiveCheck(Path.Combine(root.DaemonDir(d), a));
            Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath), $"{a} intact");
        }
        Assert.That(Directory.GetFiles(root.DaemonDir(d), ".*.tmp"), Is.Empty, "no temporaries left");
        Assert.That(root.Log.Split('\n').Count(l => l.Contains($"capture daemon={d} ")), Is.EqualTo(4));
    }
}
