using CoreDump.Cdm.Archive;
using CoreDump.Cdm.Intake;
using CoreDump.Cdm.Policy;

namespace CoreDump.Tests.Cdm;

/// <summary>The spool: chunks the compressors could not take yet are set aside raw in an unnamed file and
/// compressed later, in order, so the crashed process is released when its core is read. Checked byte for byte
/// with the real gzip, at the budget's edge, with zero chunks set aside, and for what it leaves on disk.</summary>
[TestFixture]
public sealed class ChunkSpoolTests() : TempDirFixture("cdmspool-")
{
    /// <summary>Writes data at level 9 in 16 KiB chunks (far slower to compress than to hand over, so the
    /// compressors fall behind at once) through a writer with a spool of <paramref name="budget"/> bytes.</summary>
    private (byte[] Out, long Spooled) Compress(byte[] data, long budget)
    {
        string gz = Path.Combine(Dir, "out.gz");
        long spooled;
        using (var spool = ChunkSpool.Open(budget))
        using (var h = File.OpenHandle(gz, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            Assert.That(spool, Is.Not.Null, "memfd_create");
            using (var w = new ChunkedGzipWriter(h, 0, CompressionSetting.Fixed(9), chunkSize: 16 * 1024, spool: spool))
            {
                for (int at = 0; at < data.Length; at += 5000) w.Write(data.AsSpan(at, Math.Min(5000, data.Length - at)));
                w.Drain();
                Assert.That(w.FileLength, Is.EqualTo(new FileInfo(gz).Length));
            }
            spooled = spool!.BytesSpooled;
            Assert.That(spooled, Is.LessThanOrEqualTo(budget), "never beyond the budget");
            Assert.That(Directory.GetFileSystemEntries(Dir).Select(Path.GetFileName), Is.EqualTo(new[] { "out.gz" }), "the spool has no name");
            if (spooled > 0)
                Assert.That(Directory.GetFiles("/proc/self/fd").Select(f => new FileInfo(f).LinkTarget).Any(t => t?.StartsWith("/memfd:cdm-spool") == true),
                    "the spool is an anonymous file in memory");
        }
        var t = Proc.Run("gzip", ["-t", gz]);
        Assert.That(t.ExitCode, Is.EqualTo(0), t.Stderr);
        var d = Proc.Sh("gzip -dc \"$1\" > \"$1.raw\"", null, 120_000, gz);
        Assert.That(d.ExitCode, Is.EqualTo(0), d.Stderr);
        var raw = File.ReadAllBytes(gz + ".raw");
        File.Delete(gz);
        File.Delete(gz + ".raw");
        return (raw, spooled);
    }

    [Test]
    public void ChunksSetAsideComeBackInOrder()
    {
        var data = ChunkedGzipChunkTests.Make(24L << 20, ChunkedGzipChunkTests.Content.Mixed, 16 * 1024);
        var (back, spooled) = Compress(data, 1L << 30);
        Assert.That(spooled, Is.GreaterThan(0), "level 9 on 16 KiB chunks is slower than the writer: chunks were spooled");
        Assert.That(back, Is.EqualTo(data));
    }

    [TestCase(0)]
    [TestCase(16 * 1024 - 1)]
    [TestCase(3 * 16 * 1024)]
    [TestCase(3 * 16 * 1024 + 1)]
    public void AtTheBudgetTheWriterWaitsInstead(int budget)
    {
        var data = ChunkedGzipChunkTests.Make(8L << 20, ChunkedGzipChunkTests.Content.Text, 16 * 1024);
        var (back, spooled) = Compress(data, Math.Max(budget, 1));
        Assert.That(back, Is.EqualTo(data));
        Assert.That(spooled % (16 * 1024), Is.EqualTo(0), "whole chunks only");
    }

    [Test]
    public void ZeroChunksSetAsideTakeNoSpace()
    {
        // text, then a long zero run while the compressors are still behind, then text again
        var data = new byte[32 << 20];
        ChunkedGzipChunkTests.Make(8L << 20, ChunkedGzipChunkTests.Content.Text, 16 * 1024).CopyTo(data, 0);
        ChunkedGzipChunkTests.Make(8L << 20, ChunkedGzipChunkTests.Content.Text, 16 * 1024, seed: 3).CopyTo(data, 24 << 20);
        var (back, spooled) = Compress(data, 1L << 30);
        Assert.That(back, Is.EqualTo(data));
        Assert.That(spooled, Is.LessThanOrEqualTo(16L << 20), "the 16 MiB of zeros were never written to the spool");
    }

    [Test]
    public void NoBudgetNoSpool() => Assert.That(ChunkSpool.Open(0), Is.Null, "a budget of 0 means no spool");

    /// <summary>The published cdm, run as the kernel runs it, capturing <paramref name="size"/> bytes of text under
    /// <paramref name="config"/> (slow to compress at level 9, quick to read).</summary>
    private static (TempRoot Root, string Core, ProcResult Result) CaptureText(string config, long size, int seed, string name)
    {
        var root = new TempRoot(extraConfig: config);
        string core = Path.Combine(root.Dir, "input.core");
        File.WriteAllBytes(core, ChunkedGzipChunkTests.Make(size, ChunkedGzipChunkTests.Content.Text, 1 << 20, seed));
        return (root, core, KernelLike.Capture(root, name, 1_700_000_000, core));
    }

    [Test]
    public void CdmReleasesTheProcessBeforeItCompressesTheCore()
    {
        // 96 MiB at compression=9, far slower to compress than to read: cdm sets chunks aside, closes stdin,
        // and compresses them afterwards; the archive still holds the core byte for byte.
        var (root, core, r) = CaptureText("compression=9\n", 96L << 20, seed: 5, "spooler");
        using var _ = root;
        Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);
        var line = root.Log.Split('\n').Single(l => l.Contains("capture daemon=spooler"));
        var spooled = System.Text.RegularExpressions.Regex.Match(line, @" spooled=(\d+) ");
        Assert.That(spooled.Success, line);
        Assert.That(long.Parse(spooled.Groups[1].Value), Is.GreaterThan(0).And.LessThanOrEqualTo(96L << 20));
        long held = long.Parse(System.Text.RegularExpressions.Regex.Match(line, @"held_ms=(\d+)").Groups[1].Value);
        long total = long.Parse(System.Text.RegularExpressions.Regex.Match(line, @" ms=(\d+)").Groups[1].Value);
        Assert.That(held, Is.LessThan(total), "stdin was closed before the compression ended");
        var dir = root.DaemonDir(Directory.GetDirectories(root.CorePath).Select(Path.GetFileName).Single(d => d!.StartsWith("spooler"))!);
        var check = new ArchiveCheck(Path.Combine(dir, Directory.GetFiles(dir, "*.core.tar.gz").Select(Path.GetFileName).Single()!));
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, core), "the core in the archive is the input");
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName).Where(n => !n!.Contains(".core.tar.gz") && n != ".ratelimit"), Is.Empty, "no spool file left");
    }

    [Test]
    public void MaxuseHoldsWhenTheCoreWasSpooled()
    {
        // Read far faster than compressed: while the core streams, most of it is spooled, not yet archive bytes,
        // so the streaming checks see a small archive; the check of the finished archive must still refuse it.
        var (root, _, r) = CaptureText("compression=9\nmaxuse=2M\n", 48L << 20, seed: 9, "bigtext");
        using var _ = root;
        Assert.That(r.ExitCode, Is.Not.EqualTo(-1), root.Log);
        var dir = Directory.GetDirectories(root.CorePath).Single(d => Path.GetFileName(d).StartsWith("bigtext"));
        Assert.That(Directory.GetFiles(dir, "*.core.tar.gz"), Is.Empty, "an archive above maxuse was published: " + root.Log);
        var drop = Directory.GetFiles(dir, "*.drop.tar.gz").Single();
        Assert.That(new ArchiveCheck(drop).Metadata.DropDetail, Does.Contain("above maxuse"));
    }

    [Test]
    public void TheLiveCheckStopsTheSpoolBeforeTheBudget()
    {
        // the disk guard's live answer (MayGrow) stops the spool at 4 chunks although the budget allows 1 GiB
        string gz = Path.Combine(Dir, "live.gz");
        var data = ChunkedGzipChunkTests.Make(8L << 20, ChunkedGzipChunkTests.Content.Text, 16 * 1024);
        var asked = new List<long>();
        using (var spool = ChunkSpool.Open(1L << 30)!)
        using (var h = File.OpenHandle(gz, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            spool.MayGrow = after => { asked.Add(after); return after <= 4 * 16 * 1024; };
            using (var w = new ChunkedGzipWriter(h, 0, CompressionSetting.Fixed(9), chunkSize: 16 * 1024, spool: spool))
            {
                w.Write(data);
                w.Drain();
            }
            Assert.That(spool.BytesSpooled, Is.LessThanOrEqualTo(4 * 16 * 1024));
            Assert.That(asked, Is.Not.Empty, "the writer asked before growing the spool");
        }
        var d = Proc.Sh("gzip -dc \"$1\" | cmp - \"$2\"", null, 120_000, gz, WriteRaw(data));
        Assert.That(d.ExitCode, Is.EqualTo(0), d.Stdout + d.Stderr);
    }

    private string WriteRaw(byte[] data)
    {
        string raw = Path.Combine(Dir, "expected.raw");
        File.WriteAllBytes(raw, data);
        return raw;
    }

    [TestCase(10L << 30, 1L << 30, 2L << 30, true)]    // 9 GiB above keepfree, 2 GiB spooled after: 8 <= 9
    [TestCase(10L << 30, 1L << 30, 3L << 30, false)]   // 12 > 9
    [TestCase(1L << 30, 1L << 30, 1, false)]           // at keepfree: not one byte
    [TestCase(1L << 29, 1L << 30, 1, false)]           // below keepfree
    public void SpoolGrowsOnlyWithFourTimesItsSizeAboveKeepfree(long available, long keep, long after, bool expected) =>
        Assert.That(DiskGuardPolicy.MaySpool(available, keep, after), Is.EqualTo(expected));

    [TestCase(64L << 30, 1L << 30)] // plenty: the 1 GiB cap
    [TestCase(4L << 30, 512L << 20)] // a 4 GiB machine: an eighth of its memory
    [TestCase(0L, 0L)]
    public void SpoolBudgetIsTheSmallerBound(long memory, long expected) => Assert.That(SpoolPolicy.Budget(memory), Is.EqualTo(expected));

    [TestCase(8L << 30, 16L << 30, 1L << 20, true)]      // half available: room
    [TestCase(4L << 30, 16L << 30, 1L << 20, false)]     // the next MiB would dip under a quarter
    [TestCase((4L << 30) + (1L << 20), 16L << 30, 1L << 20, true)] // exactly a quarter left after it
    [TestCase(1L << 30, 16L << 30, 0, false)]           // already under a quarter
    public void SpoolKeepsAQuarterOfMemoryAvailable(long available, long total, long chunk, bool expected) =>
        Assert.That(SpoolPolicy.MayGrow(available, total, chunk), Is.EqualTo(expected));

    [Test]
    public void MemInfoGivesTotalAndAvailable()
    {
        var m = HostFacts.ParseMemInfo("MemTotal:       24684012 kB\nMemFree:        19167920 kB\nMemAvailable:   23918120 kB\nBuffers: 1 kB\n");
        Assert.That(m, Is.EqualTo(new HostFacts.MemoryFigures(24684012L * 1024, 23918120L * 1024)));
        Assert.That(HostFacts.ParseMemInfo("MemTotal: 100 kB\n"), Is.Null, "no MemAvailable: no figures");
        Assert.That(HostFacts.ParseMemInfo("MemTotal: x kB\nMemAvailable: 5 kB\n"), Is.Null);
        Assert.That(HostFacts.Memory(), Is.Not.Null, "this machine's /proc/meminfo");
    }
}
