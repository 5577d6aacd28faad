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
        var linkCrash = Crashes.Make("segv", "linkdir");
        string linkdir = linkCrash.Daemon, d = crash.Daemon;
        Directory.CreateDirectory(root.CorePath);
        File.CreateSymbolicLink(root.DaemonDir(linkdir), outside);
        KernelLike.Capture(root, "linkdir", 10, linkCrash.CorePath);
        tried++;

        // 2. every file name of the next capture of d, its drop records, and temporaries for the next 200 pids
        Directory.CreateDirectory(root.DaemonDir(d));
        string archive = $"{d}.1.20.core.tar.gz", drop = $"{d}.1.20.drop.tar.gz";
        foreach (var n in new[] { archive + ".pending", archive + ".processed", archive + ".report", ".ratelimit", archive + ".submitted", drop, drop + ".pending" })
        { File.CreateSymbolicLink(Path.Combine(root.DaemonDir(d), n), victim); tried++; }
        Proc.MustSh("ln \"$1\" \"$2\"", null, hardVictim, Path.Combine(root.DaemonDir(d), archive)); tried++;
        int lastPid = int.Parse(File.ReadAllText("/proc/sys/kernel/ns_last_pid").Trim());
        for (int pid = lastPid + 1; pid < lastPid + 200; pid++)
        {
            File.CreateSymbolicLink(Path.Combine(root.DaemonDir(d), $".{d}.1.20.{pid}.tmp"), victim);
            File.CreateSymbolicLink(Path.Combine(root.DaemonDir(d), $".{d}.1.20.{pid}.drop.tmp"), victim);
            tried += 2;
        }
        KernelLike.Capture(root, "d", 20, crash.CorePath);
        // an excluded crash of the same daemon writes a drop record through the same planted names
        root.WriteConfig($"maxcore=1\ncorepath={root.CorePath}\nlogfile={root.LogFile}\nratelimit_burst=0\nmaxdrop=1\nexclude=name:crasher\n");
        KernelLike.Capture(root, "d", 20, crash.CorePath);

        int clobbered = (File.ReadAllText(victim) == "precious\n" ? 0 : 1) + (File.ReadAllText(hardVictim) == "precious too\n" ? 0 : 1);
        int escaped = Directory.GetFileSystemEntries(outside).Length - 1;
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(d), archive));
        var dropCheck = new ArchiveCheck(Path.Combine(root.DaemonDir(d), drop));
        int lost = ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath) ? 0 : 1;
        int linksLeft = Directory.GetFileSystemEntries(root.DaemonDir(d)).Count(p => new FileInfo(p).LinkTarget is not null && p.EndsWith(".tmp"));
        StressReport.Figure("planted symlinks and hard links", tried, lost, clobbered, escaped, $"clobbered={clobbered} planted-temps-left={linksLeft}");
        Assert.Multiple(() =>
        {
            Assert.That(clobbered, Is.Zero, "victim files changed");
            Assert.That(escaped, Is.Zero, "files created outside corepath");
            Assert.That(lost, Is.Zero);
            Assert.That(root.Log, Does.Contain($"{linkdir} is a symlink or not a directory; refused"));
            Assert.That(new FileInfo(Path.Combine(root.DaemonDir(d), archive + ".pending")).LinkTarget, Is.Null, "marker is a real file now");
            Assert.That(dropCheck.Metadata.DropReason, Is.EqualTo("excluded"));
            Assert.That(new FileInfo(Path.Combine(root.DaemonDir(d), drop + ".pending")).LinkTarget, Is.Null, "drop marker is a real file now");
        });
        Directory.Delete(outside, true);
    }
}

[Category("Stress")]
public class UploaderPlantedLinkTests
{
    /// <summary>Links planted at the uploader's paths: its lock, the work folder for extracted cores, an
    /// archive's report and next marker. Nothing outside is written, removed or clobbered.</summary>
    [Test]
    public void UploaderNeverFollowsPlantedLinks()
    {
        using var env = new CoreDump.Tests.Uploader.UploaderEnv();
        var archive = env.Capture("segv", 60_000);
        var outside = Directory.CreateTempSubdirectory("upl-victim-").FullName;
        var victim = Path.Combine(outside, "victim");
        File.WriteAllText(victim, "precious\n");
        int tried = 0;

        // the work folder is a link to a directory with files: they must not be extracted into or removed
        Directory.CreateDirectory(env.StateDir);
        File.CreateSymbolicLink(Path.Combine(env.StateDir, "work"), outside);
        var r1 = env.Uploader("run");
        tried++;
        bool refusedWork = r1.ExitCode != 0 && r1.Stderr.Contains("work_dir refused");
        File.Delete(Path.Combine(env.StateDir, "work"));

        // report and next marker names are links to the victim
        File.CreateSymbolicLink(archive + ".report", victim);
        File.CreateSymbolicLink(archive + ".processed", victim);
        File.CreateSymbolicLink(archive + ".submitted", victim);
        tried += 3;
        var r2 = env.Uploader("run");

        // the lock is a link to the victim
        File.CreateSymbolicLink(Path.Combine(env.StateDir, "uploader.lock.tmp-plant"), victim);
        File.Delete(Path.Combine(env.StateDir, "uploader.lock"));
        File.Move(Path.Combine(env.StateDir, "uploader.lock.tmp-plant"), Path.Combine(env.StateDir, "uploader.lock"));
        var r3 = env.Uploader("run");
        tried++;

        int clobbered = File.ReadAllText(victim) == "precious\n" ? 0 : 1;
        int escaped = Directory.GetFileSystemEntries(outside).Length - 1;
        bool delivered = CoreDump.Tests.Uploader.UploaderEnv.State(archive) == "submitted";
        StressReport.Figure("uploader: planted links", tried, delivered ? 0 : 1, clobbered, escaped,
            $"work-link-refused={refusedWork} lock-link-exit={r3.ExitCode}");
        Assert.Multiple(() =>
        {
            Assert.That(clobbered, Is.Zero, "victim changed");
            Assert.That(escaped, Is.Zero, "files created or removed outside");
            Assert.That(refusedWork, Is.True, r1.Stdout + r1.Stderr);
            Assert.That(r2.ExitCode, Is.EqualTo(0), r2.Stderr);
            Assert.That(delivered, Is.True, "the report still reaches the outbox");
            Assert.That(new FileInfo(archive + ".report").LinkTarget, Is.Null);
            Assert.That(r3.ExitCode, Is.Not.EqualTo(0), "a linked lock is refused");
        });
        Directory.Delete(outside, true);
    }
}
