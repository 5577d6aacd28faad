using CoreDump.Cdm.Policy;

namespace CoreDump.Cdm.Archive;

internal static partial class ChunkLevelPolicy
{
    /// <summary>ISA-L samples (<see cref="IsalDeflate.Sample"/>) compressing better than this are pointer-rich
    /// object heaps, where ISA-L's output is clearly larger than zlib-ng's level 2 (docs/performance.md).</summary>
    public const double IsalFromRatio = 0.2;
    public const int IsalLevel = 2;

    /// <summary>Picks the engine and level of one chunk (pure: no I/O). Without ISA-L, or with a fixed
    /// <c>compression=</c> level, this is <see cref="Choose(ChunkSample, CompressionSetting, long)"/> on zlib.
    /// With ISA-L and <c>compression=auto</c>, <paramref name="sample"/> comes from <see cref="IsalDeflate.Sample"/>:
    /// <list type="bullet">
    /// <item>a chunk too short to sample (the tail of a stream, a tiny core): zlib, as without ISA-L;</item>
    /// <item>samples that did not shrink, or by under 10 %: stored, as on zlib;</item>
    /// <item>samples at ≥ <see cref="IsalFromRatio"/> (mixed heaps, text, poorly compressible data): ISA-L level
    /// <see cref="IsalLevel"/>, about zlib-ng level 2's size for a fraction of its CPU;</item>
    /// <item>samples below it: zlib, as without ISA-L, which keeps the archive below gzip -1's size.</item></list>
    /// The measurements behind the thresholds: docs/performance.md, "ISA-L".</summary>
    public static ChunkCodec Choose(ChunkSample sample, CompressionSetting setting, long chunkIndex, bool isalAvailable)
    {
        if (!isalAvailable || !setting.Auto) return ChunkCodec.Zlib(Choose(sample, setting, chunkIndex));
        if (sample.SampledBytes == 0) return ChunkCodec.Zlib(Choose(sample, setting, chunkIndex));
        if (sample.AllIncompressible || sample.Ratio >= StoreAtRatio) return ChunkCodec.Zlib(0);
        if (sample.Ratio >= IsalFromRatio) return ChunkCodec.Isal(IsalLevel);
        return ChunkCodec.Zlib(chunkIndex % StrongEvery == StrongEvery - 1 ? StrongLevel : DefaultLevel);
    }
}
