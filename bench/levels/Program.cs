// Per 1 MiB chunk of each core: the size and single-thread CPU time of zlib-ng's levels 0-4 (the best of two
// runs), the sample ChunkLevelPolicy sees and the level it picks. Prints, per core, every level used
// everywhere, the shipped policy, and the cheapest mix any per-chunk choice could reach at gzip -1's size
// (an oracle that knows every chunk's outcome), all against the whole core's `gzip -1` size.
// Usage: levels CORE GZIP1_BYTES [CORE GZIP1_BYTES ...]
using System.Diagnostics;
using CoreDump.Cdm.Archive;

const int Chunk = ChunkedGzipWriter.DefaultChunkSize;
int[] levels = [0, 1, 2, 3, 4];
for (int a = 0; a + 1 < args.Length; a += 2)
{
    var chunks = Measure(args[a], levels);
    long gzip1 = long.Parse(args[a + 1]);
    Console.WriteLine($"\n{Path.GetFileName(args[a])}: {chunks.Count} chunks, gzip -1 {gzip1:N0} bytes");
    Console.WriteLine($"  {"rule",-44} {"size vs gzip -1",15} {"cpu s (1 thread)",17}");
    foreach (int l in levels)
        Report($"level {l} everywhere", chunks.Sum(c => c.Size[l]), chunks.Sum(c => c.Us[l]), gzip1);
    Report("ChunkLevelPolicy (shipped)", chunks.Sum(c => c.Size[c.Policy]), chunks.Sum(c => c.Us[c.Policy]), gzip1);
    var (size, us) = Oracle(chunks, gzip1);
    Report("oracle: cheapest per-chunk mix <= gzip -1", size, us, gzip1);
}

static void Report(string rule, long size, long us, long gzip1) =>
    Console.WriteLine($"  {rule,-44} {(double)size / gzip1 - 1,15:+0.00%;-0.00%} {us / 1e6,17:F3}");

static List<ChunkResult> Measure(string path, int[] levels)
{
    var result = new List<ChunkResult>();
    using var file = File.OpenRead(path);
    var buffer = new byte[Chunk];
    var output = new MemoryStream(2 * Chunk);
    for (long index = 0; ; index++)
    {
        int n = file.ReadAtLeast(buffer, Chunk, throwOnEndOfStream: false);
        if (n == 0) break;
        var data = buffer.AsSpan(0, n);
        if (n == Chunk && data.IndexOfAnyExcept((byte)0) < 0) continue; // zero chunks: one cached member in cdm
        var size = new long[levels.Length];
        var us = new long[levels.Length];
        foreach (int l in levels)
        {
            us[l] = long.MaxValue;
            for (int run = 0; run < 2; run++)
            {
                long t = Stopwatch.GetTimestamp();
                GzipMember.Compress(data, l, output);
                us[l] = Math.Min(us[l], (long)Stopwatch.GetElapsedTime(t).TotalMicroseconds);
                size[l] = output.Length;
            }
        }
        int policy = ChunkLevelPolicy.Choose(GzipMember.Sample(data, output), ChunkLevelPolicy.DefaultLevel, index);
        result.Add(new ChunkResult(size, us, policy));
    }
    return result;
}

// Lagrangian sweep: each chunk takes the level minimising time + lambda * size; the smallest lambda whose total
// fits under gzip -1 gives the least CPU any per-chunk choice of these levels can spend at that size.
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

internal sealed record ChunkResult(long[] Size, long[] Us, int Policy);
