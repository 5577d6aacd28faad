using CoreDump.Cdm.Policy;

namespace CoreDump.Cdm.Archive;

/// <summary>What four 16 KiB samples of a chunk compressed to at zlib-ng's level 1 (deflate_quick).</summary>
/// <param name="SampledBytes">Input bytes sampled (0 when the chunk was too small to sample).</param>
/// <param name="CompressedBytes">What they compressed to.</param>
/// <param name="AllIncompressible">Every sample came out no smaller than it went in.</param>
internal readonly record struct ChunkSample(int SampledBytes, long CompressedBytes, bool AllIncompressible)
{
    public static readonly ChunkSample None = new(0, 0, false);

    /// <summary>Compressed / original size of the samples (1 = no gain).</summary>
    public double Ratio => SampledBytes == 0 ? 1 : (double)CompressedBytes / SampledBytes;
}

/// <summary>Picks the zlib level of one chunk (pure: no I/O). zlib-ng's levels are not classic zlib's: level 1
/// is deflate_quick (static Huffman codes only, ~25-30 % larger than gzip -1), level 2 deflate_fast (a 4-byte
/// hash), level 4 deflate_medium. Measured per 1 MiB chunk on the benchmark's real cores (docs/performance.md):
/// <list type="bullet">
/// <item>random or already-compressed data: levels 1-2 crawl over it (~35 MB/s per core) for a few per cent;
/// stored costs nothing;</item>
/// <item>poorly compressible data (level-1 samples at ≥ 0.7 of their size): level 2 gains ~5 % over level 1
/// there, at twice the CPU;</item>
/// <item>object heaps and text (samples at ≤ 1/4): level 2 is 1-2 % larger than gzip -1, level 4 ~5 % smaller
/// at ~1.9× level 2's CPU. One such chunk in three at level 4 keeps the total below gzip -1 for ~1.3× level 2's
/// CPU (level 3 on all of them, the earlier rule, cost 1.6×).</item></list>
/// With <c>compression=auto</c> each chunk gets its level this way; a fixed level is used as it is, except that
/// chunks whose samples did not shrink at all are stored.</summary>
internal static partial class ChunkLevelPolicy
{
    public const int DefaultLevel = 2;
    public const double StoreAtRatio = 0.9, Level1AtRatio = 0.7, HighlyCompressibleRatio = 0.25;
    public const int StrongLevel = 4, StrongEvery = 3;

    public static int Choose(ChunkSample sample, CompressionSetting setting, long chunkIndex)
    {
        if (!setting.Auto) return setting.Level > 0 && sample.SampledBytes > 0 && sample.AllIncompressible ? 0 : setting.Level;
        if (sample.SampledBytes == 0) return DefaultLevel;
        if (sample.AllIncompressible) return 0;
        double ratio = sample.Ratio;
        if (ratio >= StoreAtRatio) return 0;
        if (ratio >= Level1AtRatio) return 1;
        if (ratio <= HighlyCompressibleRatio && chunkIndex % StrongEvery == StrongEvery - 1) return StrongLevel;
        return DefaultLevel;
    }
}
