using System.Runtime.InteropServices;
using CoreDump.Cdm.Archive;
using CoreDump.Cdm.Policy;
using static CoreDump.Tests.Cdm.ChunkedGzipChunkTests;

namespace CoreDump.Tests.Cdm;

/// <summary>The ISA-L deflate path: its struct layout against the C header, gzip members from every engine and
/// level through the real gzip, and the chunk writer with each engine. build.sh deps installs libisal2 and
/// libisal-dev, so a machine without them fails here rather than skipping.</summary>
[TestFixture]
public sealed class IsalDeflateTests() : TempDirFixture("cdmisal-")
{
    private static void RequireIsal() =>
        Assert.That(IsalDeflate.Available, Is.True, $"{IsalDeflate.LibraryName} did not load ({IsalDeflate.Status}): apt-get install libisal2");

    [Test]
    public void StructLayoutMatchesTheCHeader()
    {
        Assert.That(File.Exists("/usr/include/isa-l/igzip_lib.h"), "libisal-dev (the header) is installed");
        string c = Path.Combine(Dir, "layout.c"), exe = Path.Combine(Dir, "layout");
        File.WriteAllText(c, """
            #include <stdio.h>
            #include <stddef.h>
            #include <isa-l/igzip_lib.h>
            #define F(f) printf(#f " %zu\n", offsetof(struct isal_zstream, f))
            int main(void) {
                printf("sizeof %zu\n", sizeof(struct isal_zstream));
                F(next_in); F(avail_in); F(total_in); F(next_out); F(avail_out); F(total_out); F(hufftables);
                F(level); F(level_buf_size); F(level_buf); F(end_of_stream); F(flush); F(gzip_flag); F(hist_bits);
                F(internal_state);
                printf("lvl1 %d\nlvl2 %d\nlvl3 %d\n", ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT);
                printf("gzip_no_hdr %d\nmax_level %d\ncomp_ok %d\n", IGZIP_GZIP_NO_HDR, ISAL_DEF_MAX_LEVEL, COMP_OK);
                return 0;
            }
            """);
        var cc = Proc.Run("cc", ["-Wall", "-Werror", "-o", exe, c]);
        Assert.That(cc.ExitCode, Is.EqualTo(0), cc.Stderr);
        var facts = Proc.Run(exe, []).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => long.Parse(p[1]));

        long Offset(string field) => Marshal.OffsetOf<IsalDeflate.ZStreamHead>(field).ToInt64();
        Assert.Multiple(() =>
        {
            Assert.That(facts["sizeof"], Is.EqualTo(IsalDeflate.ZStreamSize), "sizeof(struct isal_zstream)");
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.NextIn)), Is.EqualTo(facts["next_in"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.AvailIn)), Is.EqualTo(facts["avail_in"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.TotalIn)), Is.EqualTo(facts["total_in"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.NextOut)), Is.EqualTo(facts["next_out"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.AvailOut)), Is.EqualTo(facts["avail_out"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.TotalOut)), Is.EqualTo(facts["total_out"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.HuffTables)), Is.EqualTo(facts["hufftables"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.Level)), Is.EqualTo(facts["level"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.LevelBufSize)), Is.EqualTo(facts["level_buf_size"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.LevelBuf)), Is.EqualTo(facts["level_buf"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.EndOfStream)), Is.EqualTo(facts["end_of_stream"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.Flush)), Is.EqualTo(facts["flush"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.GzipFlag)), Is.EqualTo(facts["gzip_flag"]));
            Assert.That(Offset(nameof(IsalDeflate.ZStreamHead.HistBits)), Is.EqualTo(facts["hist_bits"]));
            Assert.That(Marshal.SizeOf<IsalDeflate.ZStreamHead>(), Is.EqualTo(facts["internal_state"]), "the internal state follows the head");
            Assert.That(IsalDeflate.LevelBufferSize, Is.EqualTo(new[] { facts["lvl1"], facts["lvl2"], facts["lvl3"] }.Max()), "one buffer for every level");
            Assert.That(IsalDeflate.GzipNoHeader, Is.EqualTo(facts["gzip_no_hdr"]));
            Assert.That(IsalDeflate.MaxLevel, Is.EqualTo(facts["max_level"]));
        });
    }

    private static IEnumerable<TestCaseData> Codecs()
    {
        for (int l = 0; l <= 9; l++) yield return new TestCaseData(ChunkCodec.Zlib(l)).SetName($"Zlib{l}");
        for (int l = IsalDeflate.MinLevel; l <= IsalDeflate.MaxLevel; l++) yield return new TestCaseData(ChunkCodec.Isal(l)).SetName($"Isal{l}");
    }

    /// <summary>Members of every kind of data (and the edge sizes) from one codec, concatenated as cdm does, read by
    /// the real gzip: `gzip -t` passes and `zcat` gives back exactly the input.</summary>
    [TestCaseSource(nameof(Codecs))]
    public void MembersOfEveryCodecRoundTripThroughGzip(object testCase)
    {
        var codec = (ChunkCodec)testCase;
        if (codec.Engine == DeflateEngine.Isal) RequireIsal();
        const int chunk = ChunkedGzipWriter.DefaultChunkSize;
        var inputs = new List<byte[]> { Array.Empty<byte>(), new byte[] { 42 }, Make(65535, Content.Text, chunk), Make(65537, Content.Random, chunk) };
        foreach (var kind in new[] { Content.Random, Content.Text, Content.Zeros, Content.Mixed })
            inputs.Add(Make(chunk, kind, 256 * 1024, seed: (int)kind + 11));
        string gz = Path.Combine(Dir, "members.gz"), expected = Path.Combine(Dir, "expected");
        int failuresBefore = IsalDeflate.Failures;
        using (var f = File.Create(gz))
        using (var e = File.Create(expected))
        {
            var output = new MemberBuffer(chunk + chunk / 16 + 1024);
            foreach (var data in inputs)
            {
                if (codec.Engine == DeflateEngine.Isal)
                    Assert.That(IsalDeflate.TryCompress(data, codec.Level, output), $"ISA-L level {codec.Level} took {data.Length} bytes");
                else
                    GzipMember.Compress(data, codec, output);
                Assert.That(output.Length, Is.LessThanOrEqualTo(IsalDeflate.Bound(data.Length) + 1024));
                Assert.That(output.Capacity, Is.EqualTo(chunk + chunk / 16 + 1024), "the pooled output buffer did not grow");
                f.Write(output.Written);
                e.Write(data);
            }
        }
        Assert.That(IsalDeflate.Failures, Is.EqualTo(failuresBefore));
        var t = Proc.Run("gzip", ["-t", gz]);
        Assert.That(t.ExitCode, Is.EqualTo(0), $"gzip -t: {t.Stderr}");
        string raw = Path.Combine(Dir, "raw");
        var z = Proc.Sh("zcat \"$1\" > \"$2\"", null, 120_000, gz, raw);
        Assert.That(z.ExitCode, Is.EqualTo(0), z.Stderr);
        Assert.That(ArchiveCheck.SameBytes(raw, expected), "zcat gives back the input");
    }

    [Test]
    public void IsalLevelsDifferAndCompress()
    {
        RequireIsal();
        var data = Make(1 << 20, Content.Mixed, 128 * 1024);
        var output = new MemberBuffer();
        var sizes = Enumerable.Range(0, 4).Select(l => { Assert.That(IsalDeflate.TryCompress(data, l, output)); return output.Length; }).ToArray();
        Assert.That(sizes, Has.All.LessThan(data.Length * 3 / 4), string.Join(",", sizes));
        Assert.That(sizes.Distinct().Count(), Is.GreaterThan(1), "the level reaches ISA-L: " + string.Join(",", sizes));
        Assert.That(IsalDeflate.TryCompress(data, 4, output), Is.False, "no ISA-L level 4");
    }

    [Test]
    public void IsalSamplesSeeRandomAndText()
    {
        RequireIsal();
        var scratch = new MemberBuffer();
        const int c = 1 << 20;
        var random = IsalDeflate.Sample(Make(c, Content.Random, c), scratch);
        Assert.That(random.AllIncompressible, Is.True, $"random: {random}");
        var text = IsalDeflate.Sample(Make(c, Content.Text, c), scratch);
        Assert.That(text.AllIncompressible, Is.False);
        Assert.That(text.Ratio, Is.LessThan(0.6), $"text: {text}");
        Assert.That(IsalDeflate.Sample(new byte[GzipMember.MinSampledLength - 1], scratch), Is.EqualTo(ChunkSample.None), "too small to sample");
    }

    private static IEnumerable<TestCaseData> Engines() =>
        [new TestCaseData(DeflateEngine.Isal).SetName("Isal"), new TestCaseData(DeflateEngine.Zlib).SetName("Zlib")];

    /// <summary>The chunk writer with each engine, on 1 MiB chunks of every kind (many chunks, so the thread pool
    /// compresses them concurrently), read back by gzip; ISA-L makes a different file than zlib, so it did run.</summary>
    [TestCaseSource(nameof(Engines))]
    public void ChunkWriterRoundTripsWithEachEngine(object testCase)
    {
        var engine = (DeflateEngine)testCase;
        if (engine == DeflateEngine.Isal) RequireIsal();
        const int chunk = ChunkedGzipWriter.DefaultChunkSize;
        var data = Make(23L * chunk + 4097, Content.Mixed, chunk);
        string gz = Path.Combine(Dir, $"{engine}.gz"), other = Path.Combine(Dir, "other.gz"), expected = Path.Combine(Dir, "expected");
        File.WriteAllBytes(expected, data);
        foreach (var (path, e) in new[] { (gz, engine), (other, engine == DeflateEngine.Isal ? DeflateEngine.Zlib : DeflateEngine.Isal) })
        {
            using var h = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            using var w = new ChunkedGzipWriter(h, 0, CompressionSetting.Adaptive, chunk, e);
            for (int at = 0; at < data.Length; at += 300_001) w.Write(data.AsSpan(at, Math.Min(300_001, data.Length - at)));
            w.Drain();
        }
        var t = Proc.Run("gzip", ["-t", gz]);
        Assert.That(t.ExitCode, Is.EqualTo(0), $"gzip -t: {t.Stderr}");
        string raw = Path.Combine(Dir, "raw");
        Assert.That(Proc.Sh("zcat \"$1\" > \"$2\"", null, 120_000, gz, raw).ExitCode, Is.EqualTo(0));
        Assert.That(ArchiveCheck.SameBytes(raw, expected), "zcat gives back the input");
        Assert.That(ArchiveCheck.SameBytes(gz, other), Is.False, "the two engines wrote different members");
    }
}
