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

/// <summary>Picks the zlib level of one chunk (pure: no I/O) from the ratio its level-1 samples reached:
/// <list type="bullet">
/// <item>samples that did not shrink, or by under 10 % (≥ <see cref="StoreAtRatio"/>): stored;</item>
/// <item>poorly compressible samples (≥ <see cref="Level1AtRatio"/>): level 1;</item>
/// <item>highly compressible samples (≤ <see cref="HighlyCompressibleRatio"/>): level <see cref="StrongLevel"/> on
/// one chunk in <see cref="StrongEvery"/>, which keeps such data below gzip -1's size;</item>
/// <item>otherwise level <see cref="DefaultLevel"/>.</item></list>
/// With <c>compression=auto</c> each chunk gets its level this way; a fixed level is used as it is, except that
/// chunks whose samples did not shrink at all are stored. The thresholds and why they sit there are measured
/// by <c>./build.sh bench levels</c> (docs/performance.md, "The zlib level, by measurement").</summary>
internal static partial class ChunkLevelPolicy
{
    public const int DefaultLevel = 2;
    public const double StoreAtRatio = 0.9, Level1AtRatio = 0.7, HighlyCompressibleRatio = 0.25;
    public const int StrongLevel = 4, StrongEvery = 3;

    /// <summary>With <c>compression=auto</c>, chunks shorter than this (an empty or tiny core's tar headers,
    /// os-release and metadata.json) are stored: compressing a few KiB saves a few KiB and costs a deflate
    /// state set up for the chunk (~350 KiB allocated and cleared, ~0.5 ms of a capture's start-up).</summary>
    public const int StoreShorterThan = 8 << 10;

    /// <summary>Whether a chunk of <paramref name="length"/> bytes is stored without sampling or compressing it.</summary>
    public static bool StoresShortChunk(int length, CompressionSetting setting) => setting.Auto && length < StoreShorterThan;

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
