using CoreDump.Cdm.Archive;
using CoreDump.Cdm.Policy;
using CoreDump.Native;

namespace CoreDump.Tests.Cdm;

/// <summary>Byte-identical round trips through ChunkedGzipWriter and CoreArchiveWriter at every chunk boundary,
/// checked with the real gzip and tar. Small chunk sizes keep them fast; 64 KiB and up take the sampled
/// level choice (ChunkLevelPolicy: stored, levels 1, 2, 4) path, 4 KiB the plain one.</summary>
[TestFixture]
public sealed class ChunkedGzipChunkTests() : TempDirFixture("cdmchunk-")
{
    public enum Content { Random, Text, Zeros, Mixed }

    private static IEnumerable<TestCaseData> Sizes()
    {
        foreach (int c in new[] { 4096, 64 * 1024 })
            foreach (long n in new long[] { 0, 1, c - 1, c, c + 1, 3L * c - 1, 3L * c, 3L * c + 1, 7L * c + 513 })
                foreach (var content in new[] { Content.Random, Content.Text, Content.Zeros, Content.Mixed })
                    yield return new TestCaseData(c, n, content).SetName($"Chunk{c}_Size{n}_{content}");
    }

    /// <summary>Data of the given kind; Mixed alternates whole zero chunks, partly zero chunks, random and text.</summary>
    public static byte[] Make(long length, Content kind, int chunk, int seed = 7)
    {
        var data = new byte[length];
        var rnd = new Random(seed);
        var words = "core dump pipe chunk gzip member tar header zero page heap stack "u8.ToArray();
        void Fill(Span<byte> s, int k)
        {
            switch (k)
            {
                case 0: rnd.NextBytes(s); break;
                case 1: for (int i = 0; i < s.Length; i++) s[i] = words[(i * 7 + rnd.Next(3)) % words.Length]; break;
                case 2: s.Clear(); break;
                default: s.Clear(); if (s.Length > 0) s[rnd.Next(s.Length)] = 1; break; // one non-zero byte
            }
        }
        switch (kind)
        {
            case Content.Random: Fill(data, 0); break;
            case Content.Text: Fill(data, 1); break;
            case Content.Zeros: break;
            case Content.Mixed:
                for (long at = 0, i = 0; at < length; i++)
                {
                    int n = (int)Math.Min(length - at, i % 3 == 0 ? chunk / 2 + 17 : chunk);
                    Fill(data.AsSpan((int)at, n), (int)(i % 5 == 4 ? 3 : i % 4));
                    at += n;
                }
                break;
        }
        return data;
    }

    private string Gunzip(string gz)
    {
        var t = Proc.Run("gzip", ["-t", gz]);
        Assert.That(t.ExitCode, Is.EqualTo(0), $"gzip -t: {t.Stderr}");
        string raw = gz + ".raw";
        var d = Proc.Sh("gzip -dc \"$1\" > \"$2\"", null, 120_000, gz, raw);
        Assert.That(d.ExitCode, Is.EqualTo(0), $"gzip -dc: {d.Stderr}");
        return raw;
    }

    [TestCaseSource(nameof(Sizes))]
    public void WriterRoundTripsAtEveryBoundary(int chunk, long size, Content content)
    {
        var data = Make(size, content, chunk);
        foreach (string mode in new[] { "one-write", "odd-writes", "span" })
        {
            string gz = Path.Combine(Dir, $"{mode}.gz");
            using (var h = File.OpenHandle(gz, FileMode.CreateNew, FileAccess.ReadWrite))
            using (var w = new ChunkedGzipWriter(h, 0, CompressionSetting.Adaptive, chunkSize: chunk))
            {
                var rnd = new Random(size.GetHashCode());
                int at = 0;
                switch (mode)
                {
                    case "one-write": w.Write(data); break;
                    case "odd-writes":
                        while (at < data.Length) { int n = Math.Min(data.Length - at, rnd.Next(1, chunk + 3)); w.Write(data, at, n); at += n; }
                        break;
                    default: // read-into-chunk, like CoreArchiveWriter.AddCore
                        while (at < data.Length)
                        {
                            var span = w.GetSpan();
                            Assert.That(span.Length, Is.GreaterThan(0));
                            int n = Math.Min(Math.Min(span.Length, data.Length - at), rnd.Next(1, chunk + 3));
                            data.AsSpan(at, n).CopyTo(span);
                            w.Advance(n);
                            at += n;
                        }
                        break;
                }
                w.Drain();
                Assert.That(w.BytesIn, Is.EqualTo(size));
                Assert.That(w.FileLength, Is.EqualTo(new FileInfo(gz).Length));
            }
            if (size == 0) { Assert.That(new FileInfo(gz).Length, Is.EqualTo(0), "nothing written for nothing"); continue; }
            string raw = Gunzip(gz);
            Assert.That(File.ReadAllBytes(raw), Is.EqualTo(data), $"{mode}: round trip differs");
        }
    }

    [TestCaseSource(nameof(Sizes))]
    public void CoreArchiveRoundTripsAtEveryBoundary(int chunk, long size, Content content)
    {
        var data = Make(size, content, chunk, seed: 11);
        string archive = Path.Combine(Dir, "a.core.tar.gz");
        var osRelease = "ID=test\n"u8.ToArray();
        CoreStreamResult result;
        using (var h = File.OpenHandle(archive, FileMode.CreateNew, FileAccess.ReadWrite))
        using (var w = new CoreArchiveWriter(h, CompressionSetting.Adaptive, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), chunk))
        {
            w.AddFile("os-release", osRelease, FileModes.Mode0644);
            result = w.AddCore("x.core", new ShortReads(data, chunk, (int)(size % 97)), maxSize: 0);
            w.AddFile("metadata.json", "{}"u8, FileModes.Mode0644);
            w.Finish();
        }
        Assert.That(result.BytesReceived, Is.EqualTo(size));
        Assert.That(result.BytesStored, Is.EqualTo(size));
        Assert.That(result.Truncated, Is.False);
        var check = new ArchiveCheck(archive);
        Assert.That(check.Members, Is.EqualTo(new[] { "os-release", "x.core", "metadata.json" }));
        Assert.That(File.ReadAllBytes(Path.Combine(check.ExtractDir, "x.core")), Is.EqualTo(data));
        Assert.That(File.ReadAllBytes(Path.Combine(check.ExtractDir, "os-release")), Is.EqualTo(osRelease));
        Directory.Delete(check.ExtractDir, true);
    }

    [Test]
    public void CoreCutAtMaxSizeStillRoundTrips()
    {
        const int chunk = 4096;
        var data = Make(5L * chunk + 100, Content.Mixed, chunk);
        long max = 3L * chunk + 1;
        string archive = Path.Combine(Dir, "cut.core.tar.gz");
        CoreStreamResult result;
        using (var h = File.OpenHandle(archive, FileMode.CreateNew, FileAccess.ReadWrite))
        using (var w = new CoreArchiveWriter(h, CompressionSetting.Adaptive, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), chunk))
        {
            result = w.AddCore("x.core", new ShortReads(data, chunk, 5), max);
            w.Finish();
        }
        Assert.That(result.Truncated, Is.True);
        Assert.That(result.BytesStored, Is.EqualTo(max));
        var check = new ArchiveCheck(archive);
        Assert.That(File.ReadAllBytes(Path.Combine(check.ExtractDir, "x.core")), Is.EqualTo(data.AsSpan(0, (int)max).ToArray()));
        Directory.Delete(check.ExtractDir, true);
    }

    [Test]
    public void ChunksAtEveryPolicyLevelRoundTrip()
    {
        const int c = 64 * 1024; // the smallest sampled chunk: its four samples cover it whole
        var rnd = new Random(3);
        var line = "GET /api/v1/items 200 "u8.ToArray();
        void Random(Span<byte> s) => rnd.NextBytes(s);
        void Log(Span<byte> s) { for (int i = 0; i < s.Length; i++) s[i] = line[i % line.Length]; }
        void Poor(Span<byte> s) { rnd.NextBytes(s); for (int i = 0; i < s.Length; i += 64) Log(s.Slice(i, 16)); } // ~1/4 repeats
        Action<Span<byte>>[] kinds = [Random, Poor, Log, Log, Log, Poor, Random, Log, Log, Log, Random, Log];
        var data = new byte[kinds.Length * c + 777];
        for (int i = 0; i < kinds.Length; i++) kinds[i](data.AsSpan(i * c, c));
        Log(data.AsSpan(kinds.Length * c));

        var scratch = new MemberBuffer();
        var levels = Enumerable.Range(0, kinds.Length)
            .Select(i => ChunkLevelPolicy.Choose(GzipMember.Sample(data.AsSpan(i * c, c), scratch), CompressionSetting.Adaptive, i)).ToHashSet();
        Assert.That(levels, Is.SupersetOf(new[] { 0, 1, 2, ChunkLevelPolicy.StrongLevel }), "the data takes every path");

        string gz = Path.Combine(Dir, "levels.gz");
        using (var h = File.OpenHandle(gz, FileMode.CreateNew, FileAccess.ReadWrite))
        using (var w = new ChunkedGzipWriter(h, 0, CompressionSetting.Adaptive, chunkSize: c))
        {
            w.Write(data);
            w.Drain();
        }
        Assert.That(File.ReadAllBytes(Gunzip(gz)), Is.EqualTo(data));
    }

    [Test]
    public void SamplesTellRandomFromCompressibleChunks()
    {
        var scratch = new MemberBuffer();
        int c = 1 << 20;
        var random = GzipMember.Sample(Make(c, Content.Random, c), scratch);
        Assert.That(random.AllIncompressible, Is.True, "random bytes");
        Assert.That(ChunkLevelPolicy.Choose(random, CompressionSetting.Adaptive, 0), Is.EqualTo(0), "random: stored");
        var log = new byte[c];
        for (int i = 0; i < c; i++) log[i] = (byte)("GET /api/v1/items 200 "[i % 22] + (i / 4096 % 2));
        var text = GzipMember.Sample(log, scratch);
        Assert.That(text.AllIncompressible, Is.False);
        Assert.That(text.Ratio, Is.LessThan(ChunkLevelPolicy.HighlyCompressibleRatio), "a repetitive log");
        Assert.That(GzipMember.Sample(Make(1000, Content.Random, c), scratch), Is.EqualTo(ChunkSample.None), "too small to sample");
        // half random, half text: neither stored nor marked incompressible
        var half = Make(c, Content.Random, c);
        Make(c / 2, Content.Text, c).CopyTo(half, 0);
        var mixed = GzipMember.Sample(half, scratch);
        Assert.That(mixed.AllIncompressible, Is.False);
        Assert.That(ChunkLevelPolicy.Choose(mixed, CompressionSetting.Adaptive, 0), Is.Not.EqualTo(0));
    }

    /// <summary>A pipe-like stream: reads return fewer bytes than asked, in a varying pattern.</summary>
    private sealed class ShortReads(byte[] data, int chunk, int seed) : Stream
    {
        private readonly Random _rnd = new(seed);
        private int _at;
        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(buffer.Length, data.Length - _at), _rnd.Next(1, 2 * chunk + 1));
            data.AsSpan(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _at; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
