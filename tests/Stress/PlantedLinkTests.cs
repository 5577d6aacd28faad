namespace CoreDump.Tests.Stress;

[Category("Stress")]
public class PlantedLinkTests
{
    /// <summary>Symlinks and hard links planted at every path cdm touches (daemon directory, temporaries for
    /// the next pids, the archive name, its markers and report, the crash-loop file) point at victim files
    /// outside corepath. cdm must not write through any of them.</summary>
    [Test]
    public void PlantedLinksAreNeverFollowed()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 1, extraConfig: "ratelimit_burst=0\n");
        var outside = Directory.CreateTempSubdirectory("cdm-victim-").FullName;
        var victim = Path.Combine(outside, "victim");
        File.WriteAllText(victim, "precious\n");
        var hardVictim = Path.Combine(root.Dir, "hard-victim"); // same filesystem, so a hard link is possible
        File.WriteAllText(hardVictim, "precious too\n");
        int tried = 0;

        // 1. the daemon directory itself is a symlink
        Directory.CreateDirectory(root.CorePath);
        File.CreateSymbolicLink(root.DaemonDir("linkdir"), outside);
        KernelLike.Capture(root, "linkdir", 10, crash.CorePath);
        tried++;

        // 2. every file name of the next capture of "d", and temporaries for the next 200 pids
        Directory.CreateDirectory(root.DaemonDir("d"));
        const string archive = "d.1.20.core.tar.gz";
        foreach (var n in new[] { archive + ".pending", archive + ".processed", archive + ".report", ".ratelimit", archive + ".submitted" })
        { File.CreateSymbolicLink(Path.Combine(root.DaemonDir("d"), n), victim); tried++; }
        Proc.MustSh("ln \"$1\" \"$2\"", null, hardVictim, Path.Combine(root.DaemonDir("d"), archive)); tried++;
        int lastPid = int.Parse(File.ReadAllText("/proc/sys/kernel/ns_last_pid").Trim());
        for (int pid = lastPid + 1; pid < lastPid + 200; pid++)
        { File.CreateSymbolicLink(Path.Combine(root.DaemonDir("d"), $".d.1.20.{pid}.tmp"), victim); tried++; }
        KernelLike.Capture(root, "d", 20, crash.CorePath);

        int clobbered = (File.ReadAllText(victim) == "precious\n" ? 0 : 1) + (File.ReadAllText(hardVictim) == "precious too\n" ? 0 : 1);
        int escaped = Directory.GetFileSystemEntries(outside).Length - 1;
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir("d"), archive));
        int lost = ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath) ? 0 : 1;
        int linksLeft = Directory.GetFileSystemEntries(root.DaemonDir("d")).Count(p => new FileInfo(p).LinkTarget is not null && p.EndsWith(".tmp"));
        StressReport.Figure("planted symlinks and hard links", tried, lost, clobbered, escaped, $"clobbered={clobbered} planted-temps-left={linksLeft}");
        Assert.Multiple(() =>
        {
            Assert.That(clobbered, Is.Zero, "victim files changed");
            Assert.That(escaped, Is.Zero, "files created outside corepath");
            Assert.That(lost, Is.Zero);
            Assert.That(root.Log, Does.Contain("linkdir is a symlink or not a directory; refused"));
            Assert.That(new FileInfo(Path.Combine(root.DaemonDir("d"), archive + ".pending")).LinkTarget, Is.Null, "marker is a real file now");
        });
        Directory.Delete(outside, true);
    }
}
