// Per 1 MiB chunk of each core: the size and single-thread CPU time of zlib-ng's levels 0-4 and, when libisal.so.2
// loads, ISA-L's levels 0-3 (the best of two runs), the samples the level policy sees and the codec it picks.
// Prints, per core, every codec used everywhere, the shipped policy (with and without ISA-L), and the cheapest
// mix any per-chunk choice could reach at gzip -1's size (an oracle that knows every chunk's outcome), all
// against the whole core's `gzip -1` size. With LEVELS_TSV=DIR, writes every chunk's figures to DIR/CORE.tsv.
// Usage: levels CORE GZIP1_BYTES [CORE GZIP1_BYTES ...]
using System.Diagnostics;
using CoreDump.Cdm.Archive;
using CoreDump.Cdm.Policy;

const int Chunk = ChunkedGzipWriter.DefaultChunkSize;
var codecs = new List<ChunkCodec>();
for (int l = 0; l <= 4; l++) codecs.Add(new ChunkCodec(DeflateEngine.Zlib, l));
if (IsalDeflate.Available)
    for (int l = IsalDeflate.MinLevel; l <= IsalDeflate.MaxLevel; l++) codecs.Add(new ChunkCodec(DeflateEngine.Isal, l));
Console.WriteLine($"deflate engine: {IsalDeflate.Status}");
for (int a = 0; a + 1 < args.Length; a += 2)
{
    var chunks = Measure(args[a], codecs);
    long gzip1 = long.Parse(args[a + 1]);
    Console.WriteLine($"\n{Path.GetFileName(args[a])}: {chunks.Count} chunks, gzip -1 {gzip1:N0} bytes");
    Console.WriteLine($"  {"rule",-44} {"size vs gzip -1",15} {"cpu s (1 thread)",17}");
    for (int c = 0; c < codecs.Count; c++)
        Report($"{codecs[c]} everywhere", chunks.Sum(x => x.Size[c]), chunks.Sum(x => x.Us[c]), gzip1);
    Report("ChunkLevelPolicy, zlib only (fallback)", chunks.Sum(x => x.Size[x.ZlibPolicy]), chunks.Sum(x => x.Us[x.ZlibPolicy] + x.ZlibSampleUs), gzip1);
    if (IsalDeflate.Available)
        Report("ChunkLevelPolicy with ISA-L (shipped)", chunks.Sum(x => x.Size[x.IsalPolicy]), chunks.Sum(x => x.Us[x.IsalPolicy] + x.IsalSampleUs), gzip1);
    var (size, us) = Oracle(chunks, gzip1);
    Report("oracle: cheapest per-chunk mix <= gzip -1", size, us, gzip1);
    Console.WriteLine("  (policy rows include the sampling; the oracle and 'everywhere' rows do not)");
    if (Environment.GetEnvironmentVariable("LEVELS_TSV") is { Length: > 0 } dir)
        WriteTsv(Path.Combine(dir, Path.GetFileNameWithoutExtension(args[a]) + ".tsv"), codecs, chunks);
}

static void Report(string rule, long size, long us, long gzip1) =>
    Console.WriteLine($"  {rule,-44} {(double)size / gzip1 - 1,15:+0.00%;-0.00%} {us / 1e6,17:F3}");

static List<ChunkResult> Measure(string path, List<ChunkCodec> codecs)
{
    var result = new List<ChunkResult>();
    using var file = File.OpenRead(path);
    var buffer = new byte[Chunk];
    var output = new MemberBuffer(2 * Chunk);
    for (long index = 0; ; index++)
    {
        int n = file.ReadAtLeast(buffer, Chunk, throwOnEndOfStream: false);
        if (n == 0) break;
        var data = buffer.AsSpan(0, n);
        if (n == Chunk && data.IndexOfAnyExcept((byte)0) < 0) continue; // zero chunks: one cached member in cdm
        var size = new long[codecs.Count];
        var us = new long[codecs.Count];
        for (int c = 0; c < codecs.Count; c++)
        {
            us[c] = long.MaxValue;
            for (int run = 0; run < 2; run++)
            {
                long t = Stopwatch.GetTimestamp();
                GzipMember.Compress(data, codecs[c], output);
                us[c] = Math.Min(us[c], (long)Stopwatch.GetElapsedTime(t).TotalMicroseconds);
                size[c] = output.Length;
            }
        }
        var (zlibSample, zlibSampleUs) = Timed(() => GzipMember.Sample(buffer.AsSpan(0, n), output));
        var zlibChoice = ChunkLevelPolicy.Choose(zlibSample, CompressionSetting.Adaptive, index, isalAvailable: false);
        var (isalSample, isalSampleUs) = IsalDeflate.Available ? Timed(() => IsalDeflate.Sample(buffer.AsSpan(0, n), output)) : (ChunkSample.None, 0);
        var isalChoice = IsalDeflate.Available ? ChunkLevelPolicy.Choose(isalSample, CompressionSetting.Adaptive, index, isalAvailable: true) : zlibChoice;
        result.Add(new ChunkResult(size, us, codecs.IndexOf(zlibChoice), codecs.IndexOf(isalChoice), zlibSample, isalSample, zlibSampleUs, isalSampleUs));
    }
    return result;
}

static (ChunkSample, long) Timed(Func<ChunkSample> sample)
{
    var best = (ChunkSample.None, long.MaxValue);
    for (int run = 0; run < 2; run++)
    {
        long t = Stopwatch.GetTimestamp();
        var s = sample();
        best = (s, Math.Min(best.Item2, (long)Stopwatch.GetElapsedTime(t).TotalMicroseconds));
    }
    return best;
}

// Lagrangian sweep: each chunk takes the codec minimising time + lambda * size; the smallest lambda whose total
// fits under gzip -1 gives the least CPU any per-chunk choice of these codecs can spend at that size.
static (long Size, long Us) Oracle(List<ChunkResult> chunks, long gzip1)
{
    for (double lambda = 0; lambda < 100; lambda += 0.0005)
    {
        long size = 0, us = 0;
        foreach (var c in chunks)
        {
            int best = 0;
            for (int l = 1; l < c.Size.Length; l++)
                if (c.Us[l] + lambda * c.Size[l] < c.Us[best] + lambda * c.Size[best]) best = l;
            size += c.Size[best];
            us += c.Us[best];
        }
        if (size <= gzip1) return (size, us);
    }
    return (0, 0);
}

static void WriteTsv(string path, List<ChunkCodec> codecs, List<ChunkResult> chunks)
{
    using var w = new StreamWriter(path);
    w.WriteLine(string.Join('\t', codecs.Select(c => $"size:{c}").Concat(codecs.Select(c => $"us:{c}"))
        .Concat(["zlib_sample", "isal_sample", "zlib_sample_us", "isal_sample_us", "zlib_policy", "isal_policy"])));
    foreach (var c in chunks)
        w.WriteLine(string.Join('\t', c.Size.Concat(c.Us).Select(x => x.ToString()).Concat(
            [c.ZlibSample.Ratio.ToString("F4"), c.IsalSample.Ratio.ToString("F4"), c.ZlibSampleUs.ToString(), c.IsalSampleUs.ToString(),
             c.ZlibPolicy.ToString(), c.IsalPolicy.ToString()])));
}

internal sealed record ChunkResult(long[] Size, long[] Us, int ZlibPolicy, int IsalPolicy, ChunkSample ZlibSample, ChunkSample IsalSample,
    long ZlibSampleUs, long IsalSampleUs);
