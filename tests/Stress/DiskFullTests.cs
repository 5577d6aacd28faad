namespace CoreDump.Tests.Stress;

[Category("Stress")]
public class DiskFullTests
{
    /// <summary>A 64 MiB tmpfs made for the test under a temp dir (unmounted afterwards): a core that does not
    /// fit fails cleanly (partial removed, old slot intact); with keepfree the capture stops before the
    /// filesystem fills, and the free space never drops far below keepfree (sampled while it runs).</summary>
    [Test]
    public void FullFilesystemKeepsTheOldSlotAndKeepFreeHolds()
    {
        using var root = new TempRoot(maxcore: 1);
        var mnt = Path.Combine(root.Dir, "small");
        Directory.CreateDirectory(mnt);
        var m = Proc.Run("mount", ["-t", "tmpfs", "-o", "size=64m,mode=0755", "tmpfs", mnt]);
        if (m.ExitCode != 0) Assert.Inconclusive("cannot mount a tmpfs here: " + m.Stderr);
        try
        {
            var core = Path.Combine(mnt, "core");
            var crash = Crashes.Cached("segv");
            var noise = Path.Combine(root.Dir, "noise");
            var data = new byte[100 << 20];
            new Random(3).NextBytes(data);
            File.WriteAllBytes(noise, data);
            int tried = 0, lost = 0, corrupt = 0;

            // ENOSPC itself: no keepfree
            root.WriteConfig($"maxcore=1\ncorepath={core}\nlogfile={root.LogFile}\nkeepfree=0\n");
            // the noise is not an ELF core: E= and the name file it under the crasher's directory, so that a
            // successful capture would replace the crasher's slot
            string d = crash.Daemon, asCrasher = "E=" + crash.Exe.Replace('/', '!');
            KernelLike.Capture(root, "crasher", 1, crash.CorePath);
            var old = Path.Combine(core, d, $"{d}.1.1.core.tar.gz");
            KernelLike.Capture(root, "crasher", 2, noise, asCrasher);
            tried++;
            if (!File.Exists(old)) lost++;
            else if (!ArchiveCheck.SameBytes(new ArchiveCheck(old).CoreFile, crash.CorePath)) corrupt++;
            int partials = Directory.GetFiles(Path.Combine(core, d), "*.tmp").Length + Directory.GetFiles(Path.Combine(core, d), $"{d}.1.2.core*").Length;
            Assert.That(root.Log, Does.Contain("No space left on device").Or.Contain("ENOSPC"));

            // keepfree=50%: stops before the disk fills; free space sampled while the capture runs
            root.WriteConfig($"maxcore=1\ncorepath={core}\nlogfile={root.LogFile}\nkeepfree=50%\n");
            long minFree = long.MaxValue;
            var sampling = true;
            var sampler = Task.Run(() => { while (Volatile.Read(ref sampling)) { minFree = Math.Min(minFree, new DriveInfo(mnt).AvailableFreeSpace); Thread.Sleep(1); } });
            KernelLike.Capture(root, "crasher", 3, noise, asCrasher);
            Volatile.Write(ref sampling, false);
            sampler.Wait();
            tried++;
            if (!File.Exists(old)) lost++;
            partials += Directory.GetFiles(Path.Combine(core, d), "*.tmp").Length + Directory.GetFiles(Path.Combine(core, d), $"{d}.1.3.core*").Length;
            long keep = 32L << 20, slack = 256L << 10; // the guard counts chunks in flight; slack for tmpfs page accounting
            StressReport.Figure("ENOSPC on a 64 MiB tmpfs", tried, lost, corrupt, 0,
                $"partials-left={partials} min-free-during-keepfree-run={minFree >> 10}KiB keepfree={keep >> 10}KiB");
            Assert.Multiple(() =>
            {
                Assert.That(lost + corrupt, Is.Zero, "old slot intact");
                Assert.That(partials, Is.Zero, "partial archives removed");
                Assert.That(root.Log, Does.Contain("below keepfree=50%"));
                Assert.That(minFree, Is.GreaterThan(keep - slack), "keepfree respected while writing");
            });
        }
        finally { Proc.Run("umount", ["-l", mnt]); }
    }
}
