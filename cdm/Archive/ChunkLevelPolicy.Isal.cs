using CoreDump.Cdm.Policy;

namespace CoreDump.Cdm.Archive;

internal static partial class ChunkLevelPolicy
{
    /// <summary>ISA-L samples (<see cref="IsalDeflate.Sample"/>) compressing better than this are object heaps of the
    /// kind where ISA-L's output is ~15 % larger than zlib-ng's level 2; above it ISA-L is within ±2 % of level 2.</summary>
    public const double IsalFromRatio = 0.2;
    public const int IsalLevel = 2;

    /// <summary>Picks the engine and level of one chunk (pure: no I/O). Without ISA-L, or at a configured level
    /// other than <c>auto</c>, this is <see cref="Choose(ChunkSample, CompressionSetting, long)"/> on zlib. With ISA-L at the
    /// default level, <paramref name="sample"/> comes from <see cref="IsalDeflate.Sample"/> and, measured per
    /// 1 MiB chunk on the benchmark's real cores (docs/performance.md):
    /// <list type="bullet">
    /// <item>incompressible samples (no gain, or under 10 %): stored, as on zlib;</item>
    /// <item>samples at ≥ <see cref="IsalFromRatio"/> (mixed heaps, text, poorly compressible data): ISA-L level 2,
    /// the size of zlib-ng's level 2 (−1 % to +2 %) for a quarter of its CPU or less (on data near
    /// incompressible, a twentieth);</item>
    /// <item>samples below it (pointer-rich object heaps such as CPython's): ISA-L's levels 1-3 are 13-15 %
    /// larger than zlib-ng's level 2 there, so zlib keeps these, with level 4 on one chunk in three as on zlib
    /// alone, which keeps the archive below gzip -1's.</item></list></summary>
    public static ChunkCodec Choose(ChunkSample sample, CompressionSetting setting, long chunkIndex, bool isalAvailable)
    {
        if (!isalAvailable || !setting.Auto) return ChunkCodec.Zlib(Choose(sample, setting, chunkIndex));
        if (sample.SampledBytes == 0) return ChunkCodec.Isal(IsalLevel);
        if (sample.AllIncompressible || sample.Ratio >= StoreAtRatio) return ChunkCodec.Zlib(0);
        if (sample.Ratio >= IsalFromRatio) return ChunkCodec.Isal(IsalLevel);
        return ChunkCodec.Zlib(chunkIndex % StrongEvery == StrongEvery - 1 ? StrongLevel : DefaultLevel);
    }
}
