using System.Diagnostics;
using System.Text.RegularExpressions;
using CoreDump.Cdm.Policy;

namespace CoreDump.Tests.Cdm;

/// <summary>The caps against starvation through the AOT binary: the time cap cuts a core and releases the
/// crashed process; usage is not scanned per capture.</summary>
public class CapTests
{
    [Test]
    public void TimeCapCutsTheCoreFlagsItAndClosesStdin()
    {
        using var root = new TempRoot(extraConfig: "maxcapturetime=2\n");
        var data = new byte[1 << 20];
        new Random(11).NextBytes(data);
        using var cdm = KernelLike.Start(root, "slow", 9500);
        var clock = Stopwatch.StartNew();
        var stdin = cdm.StandardInput.BaseStream;
        stdin.Write(data);
        stdin.Flush();
        // the writer (the kernel, for a stalled dump) never finishes: cdm must end on its own
        Assert.That(cdm.WaitForExit(10_000), Is.True, "cdm ended within 10 s with its stdin still open");
        Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromSeconds(1.5)).And.LessThan(TimeSpan.FromSeconds(8)));
        Assert.Throws(Is.InstanceOf<IOException>(), () => { for (int i = 0; i < 64; i++) { stdin.Write(data, 0, 65536); stdin.Flush(); } },
            "stdin was closed: the crashed process is released");
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(Crashes.UnverifiedDaemon("slow")), root.Archives(Crashes.UnverifiedDaemon("slow")).Single()));
        Assert.That(check.Metadata.Truncated, Is.True);
        Assert.That(check.Metadata.TruncatedReason, Does.Contain("maxcapturetime (2 s)"));
        Assert.That(File.ReadAllBytes(check.CoreFile), Is.EqualTo(data), "cut exactly after what arrived, nothing padded");
        Assert.That(root.Log, Does.Contain("truncated: capture time above maxcapturetime"));
    }

    [Test]
    public void DefaultsCapSizeAndTime()
    {
        var d = CoreDump.Cdm.Policy.CoreFileConfig.Defaults;
        Assert.That(d.MaxCoreSize, Is.EqualTo(32L << 30));
        Assert.That(d.MaxCaptureTime, Is.EqualTo(60));
        var off = CoreDump.Cdm.Policy.CoreFileConfigParser.Parse("maxcoresize=0\nmaxcapturetime=0\n");
        Assert.That((off.Config.MaxCoreSize, off.Config.MaxCaptureTime), Is.EqualTo((0L, 0)));
        Assert.That(off.Warnings, Is.Empty);
        var bad = CoreDump.Cdm.Policy.CoreFileConfigParser.Parse("maxcapturetime=-5\n");
        Assert.That(bad.Config.MaxCaptureTime, Is.EqualTo(60));
        Assert.That(bad.Warnings.Single(), Does.Contain("bad value \"-5\" for maxcapturetime; keeping 60"));
    }

    private const int Daemons = 200, PerDaemon = 100; // 20,000 archive names
    private const long DummyBytes = 1 << 20;           // sparse: apparent size only

    [Test]
    public void TwentyThousandArchivesDoNotSlowACaptureAndMaxuseStillHolds()
    {
        var crash = Crashes.Cached("segv");
        using var empty = new TempRoot();
        using var full = new TempRoot();
        PlantDummies(full.CorePath);
        // maxuse=0: nothing under corepath is listed, so 20,000 archives cost nothing
        long heldEmpty = MinHeld(empty, crash.CorePath), heldFull = MinHeld(full, crash.CorePath);
        TestContext.Out.WriteLine($"held_ms empty corepath {heldEmpty}, with 20,000 archives {heldFull}");
        Assert.That(heldFull, Is.LessThan(heldEmpty + 100), "a capture is not dominated by a scan");
        Assert.That(File.Exists(Path.Combine(full.CorePath, KeptUsage.FileName)), Is.False, "no kept total without maxuse");

        // what is under corepath now: the dummies and the probe's archive
        long dummies = Daemons * PerDaemon * DummyBytes + new FileInfo(Path.Combine(full.DaemonDir(crash.Daemon), full.Archives(crash.Daemon).Single())).Length;
        var noise = Path.Combine(full.Dir, "noise");
        var random = new byte[12 << 20]; // maxuse is checked every MiB of input: well above one check

        new Random(3).NextBytes(random);
        File.WriteAllBytes(noise, random);
        string Config(long maxuse) => $"maxcore=1\ncorepath={full.CorePath}\nlogfile={full.LogFile}\nmaxuse={maxuse}\n";

        // maxuse just above the dummies: 12 MiB of noise does not fit, refused
        full.WriteConfig(Config(dummies + (100 << 10)));
        KernelLike.Capture(full, "noise", 9600, noise);
        Assert.That(full.Archives(U("noise")), Is.Empty);
        Assert.That(full.DropRecords(U("noise")), Has.Length.EqualTo(1), "the refused crash leaves a drop record");
        Assert.That(full.Log, Does.Contain("above maxuse"));
        Assert.That(ReadKept(full).Total, Is.EqualTo(dummies), "the kept total, from one scan");

        // room for it: stored, and the kept total grows by the archive, without a scan
        full.WriteConfig(Config(dummies + (30 << 20)));
        KernelLike.Capture(full, "noise", 9601, noise);
        long archive = new FileInfo(Path.Combine(full.DaemonDir(U("noise")), full.Archives(U("noise")).Single())).Length;
        Assert.That(ReadKept(full).Total, Is.EqualTo(dummies + archive));
        KernelLike.Capture(full, "noise2", 9602, noise);
        long archive2 = new FileInfo(Path.Combine(full.DaemonDir(U("noise2")), full.Archives(U("noise2")).Single())).Length;
        Assert.That(ReadKept(full).Total, Is.EqualTo(dummies + archive + archive2));
        // replacing its own slot: the replaced archive leaves the total
        KernelLike.Capture(full, "noise2", 9603, noise);
        long archive3 = new FileInfo(Path.Combine(full.DaemonDir(U("noise2")), full.Archives(U("noise2")).Single())).Length;
        Assert.That(ReadKept(full).Total, Is.EqualTo(dummies + archive + archive3));

        // archives removed behind cdm's back leave the kept total too high: when it alone would refuse, a
        // rescan decides (and repairs it)
        for (int k = 1; k <= PerDaemon; k++) File.Delete(Path.Combine(full.CorePath, "d0", $"d0.{k}.1000.core.tar.gz"));
        full.WriteConfig(Config(dummies - (50 << 20)));
        KernelLike.Capture(full, "noise3", 9604, noise);
        Assert.That(full.Archives(U("noise3")), Has.Length.EqualTo(1), full.Log);
        long archive4 = new FileInfo(Path.Combine(full.DaemonDir(U("noise3")), full.Archives(U("noise3")).Single())).Length;
        // the rescan counts everything on disk, the drop record of the first (refused) capture included
        long drop = new FileInfo(Path.Combine(full.DaemonDir(U("noise")), full.DropRecords(U("noise")).Single())).Length;
        Assert.That(ReadKept(full).Total, Is.EqualTo(dummies - PerDaemon * DummyBytes + archive + archive3 + archive4 + drop));
    }

    /// <summary>The directory of non-ELF input named <paramref name="name"/> (identity unverified).</summary>
    private static string U(string name) => Crashes.UnverifiedDaemon(name);

    private static KeptUsage ReadKept(TempRoot root)
    {
        var path = Path.Combine(root.CorePath, KeptUsage.FileName);
        Assert.That((int)File.GetUnixFileMode(path) & Convert.ToInt32("077", 8), Is.EqualTo(0), "root-only");
        return KeptUsage.Parse(File.ReadAllText(path)) ?? throw new AssertionException("unreadable .usage");
    }

    private static void PlantDummies(string corepath)
    {
        Directory.CreateDirectory(corepath);
        for (int d = 0; d < Daemons; d++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(corepath, $"d{d}"), (UnixFileMode)Convert.ToInt32("750", 8)).FullName;
            for (int k = 1; k <= PerDaemon; k++)
            {
                using var f = File.Create(Path.Combine(dir, $"d{d}.{k}.1000.core.tar.gz"));
                f.SetLength(DummyBytes);
            }
        }
    }

    /// <summary>Smallest held_ms (how long the crashed process waited) of three captures.</summary>
    private static long MinHeld(TempRoot root, string core)
    {
        long best = long.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            KernelLike.Capture(root, "probe", 9700 + i, core);
            var held = Regex.Matches(root.Log, @"held_ms=(\d+)").Last().Groups[1].Value;
            best = Math.Min(best, long.Parse(held));
        }
        return best;
    }
}

/// <summary>The kernel starts one cdm per crash without a limit (core_pipe_limit=0): cdm lets 16 stream at
/// once, and a 17th waits for a slot only boundedly, then is captured all the same.</summary>
public class CaptureGateTests
{
    [Test]
    public void SeventeenAtOnceAreAllKeptTheLastAfterABoundedWait()
    {
        using var root = new TempRoot(maxcore: 1, extraConfig: "maxcapturetime=10\n"); // a slot is waited for 5 s at most
        var procs = Enumerable.Range(0, 17).Select(i => KernelLike.Start(root, $"storm{i}", 9800 + i)).ToList();
        var data = new byte[4096];
        new Random(17).NextBytes(data);
        try
        {
            // the start of each core: cdm reads it for the notes before it takes a capture slot
            foreach (var p in procs) { p.StandardInput.BaseStream.Write(data); p.StandardInput.BaseStream.Flush(); }
            var clock = Stopwatch.StartNew();
            var locks = Enumerable.Range(0, 16).Select(k => Path.Combine(root.CorePath, $".capture-{k}.lock")).ToList();
            while (!locks.All(l => File.Exists(l) && Proc.Run("flock", ["-n", l, "true"]).ExitCode != 0))
            {
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "16 captures hold the 16 slots");
                Thread.Sleep(50);
            }
            Assert.That(procs.Count(p => p.HasExited), Is.Zero);
            Thread.Sleep(5500 - (int)Math.Min(clock.ElapsedMilliseconds, 4000)); // the 17th's wait ends
            foreach (var p in procs) { p.StandardInput.BaseStream.Write(data); p.StandardInput.Close(); }
            foreach (var p in procs) Assert.That(p.WaitForExit(15_000), Is.True);
        }
        finally { foreach (var p in procs) { if (!p.HasExited) p.Kill(); p.Dispose(); } }
        var notes = new List<string>();
        for (int i = 0; i < 17; i++)
        {
            var check = new ArchiveCheck(Path.Combine(root.DaemonDir(Crashes.UnverifiedDaemon($"storm{i}")), root.Archives(Crashes.UnverifiedDaemon($"storm{i}")).Single()));
            Assert.That(check.Metadata.Truncated, Is.False, $"storm{i}: {check.Metadata.TruncatedReason}");
            notes.AddRange(check.Metadata.Warnings.Where(w => w.Contains("capture slots busy")));
        }
        Assert.That(notes, Has.Count.EqualTo(1), "exactly one capture found every slot taken");
    }
}
