using CoreDump.Cdm.Archive;
using CoreDump.Cdm.Policy;

namespace CoreDump.Tests.Cdm;

/// <summary>ChunkLevelPolicy's engine choice (pure: samples in, engine and level out).</summary>
public class ChunkCodecPolicyTests
{
    private static ChunkSample Sampled(double ratio, bool allIncompressible = false) =>
        new(65536, (long)(65536 * ratio), allIncompressible);

    private static ChunkCodec WithIsal(ChunkSample s, long index = 0, int? configured = null) =>
        ChunkLevelPolicy.Choose(s, configured is int level ? CompressionSetting.Fixed(level) : CompressionSetting.Adaptive, index, isalAvailable: true);

    [Test]
    public void WithoutIsalEveryChunkIsTheZlibChoice()
    {
        foreach (var ratio in new[] { 0.01, 0.17, 0.3, 0.5, 0.75, 0.95 })
            for (long i = 0; i < 6; i++)
                foreach (var configured in new[] { CompressionSetting.Fixed(0), CompressionSetting.Fixed(1), CompressionSetting.Adaptive, CompressionSetting.Fixed(2), CompressionSetting.Fixed(9) })
                    Assert.That(ChunkLevelPolicy.Choose(Sampled(ratio), configured, i, isalAvailable: false),
                        Is.EqualTo(ChunkCodec.Zlib(ChunkLevelPolicy.Choose(Sampled(ratio), configured, i))), $"{ratio} {i} {configured}");
        Assert.That(ChunkLevelPolicy.Choose(ChunkSample.None, CompressionSetting.Adaptive, 0, isalAvailable: false), Is.EqualTo(ChunkCodec.Zlib(2)));
        Assert.That(ChunkLevelPolicy.Choose(Sampled(0.17), CompressionSetting.Fixed(2), 2, isalAvailable: true), Is.EqualTo(ChunkCodec.Zlib(2)),
            "a fixed level 2 is level 2, never the adaptive mix");
    }

    [Test]
    public void IncompressibleChunksAreStored()
    {
        Assert.That(WithIsal(Sampled(1.02, true)), Is.EqualTo(ChunkCodec.Zlib(0)));
        Assert.That(WithIsal(Sampled(0.5, true)), Is.EqualTo(ChunkCodec.Zlib(0)), "every sample came out no smaller");
        Assert.That(WithIsal(Sampled(ChunkLevelPolicy.StoreAtRatio + 0.001)), Is.EqualTo(ChunkCodec.Zlib(0)), "under 10 % gain");
        Assert.That(WithIsal(Sampled(ChunkLevelPolicy.StoreAtRatio - 0.001)), Is.EqualTo(ChunkCodec.Isal(ChunkLevelPolicy.IsalLevel)));
    }

    [TestCase(0.201)]
    [TestCase(0.25)]
    [TestCase(0.4)]
    [TestCase(0.75)]
    [TestCase(0.89)]
    public void MixedAndPoorlyCompressibleChunksGoToIsal(double ratio)
    {
        for (long i = 0; i < 6; i++) Assert.That(WithIsal(Sampled(ratio), i), Is.EqualTo(ChunkCodec.Isal(2)), $"chunk {i}");
    }

    [Test]
    public void ObjectHeapsStayOnZlibWithOneStrongChunkInThree()
    {
        var codecs = Enumerable.Range(0, 9).Select(i => WithIsal(Sampled(0.13), i)).ToArray();
        Assert.That(codecs.Select(c => c.Engine), Has.All.EqualTo(DeflateEngine.Zlib));
        Assert.That(codecs.Select(c => c.Level), Is.EqualTo(new[] { 2, 2, 4, 2, 2, 4, 2, 2, 4 }));
        Assert.That(WithIsal(Sampled(ChunkLevelPolicy.IsalFromRatio - 0.001), 1), Is.EqualTo(ChunkCodec.Zlib(2)));
        Assert.That(WithIsal(Sampled(0.001), 0), Is.EqualTo(ChunkCodec.Zlib(2)), "nearly zero: zlib, ISA-L level 3 is bad there");
    }

    [Test]
    public void TinyChunksAreStoredWithoutACompressorInAutoOnly()
    {
        Assert.That(ChunkLevelPolicy.StoresShortChunk(0, CompressionSetting.Adaptive), Is.True);
        Assert.That(ChunkLevelPolicy.StoresShortChunk(ChunkLevelPolicy.StoreShorterThan - 1, CompressionSetting.Adaptive), Is.True);
        Assert.That(ChunkLevelPolicy.StoresShortChunk(ChunkLevelPolicy.StoreShorterThan, CompressionSetting.Adaptive), Is.False);
        Assert.That(ChunkLevelPolicy.StoresShortChunk(100, CompressionSetting.Fixed(6)), Is.False, "a configured level is used as it is");
    }

    [Test]
    public void SmallChunksUnsampledGoToZlib() =>
        // the tail of a stream, or a tiny core: the writer does not even load ISA-L for them
        Assert.That(WithIsal(ChunkSample.None), Is.EqualTo(ChunkCodec.Zlib(ChunkLevelPolicy.DefaultLevel)));

    [Test]
    public void AConfiguredLevelStaysOnZlib()
    {
        Assert.That(WithIsal(Sampled(0.4), 0, configured: 6), Is.EqualTo(ChunkCodec.Zlib(6)));
        Assert.That(WithIsal(Sampled(0.13), 2, configured: 1), Is.EqualTo(ChunkCodec.Zlib(1)));
        Assert.That(WithIsal(Sampled(1.02, true), 0, configured: 9), Is.EqualTo(ChunkCodec.Zlib(0)), "stored at any level");
        Assert.That(WithIsal(Sampled(0.4), 0, configured: 0), Is.EqualTo(ChunkCodec.Zlib(0)));
    }

    [Test]
    public void TheEngineSwitchOnlyKnowsZlib()
    {
        Assert.That(IsalDeflate.Selects("zlib"), Is.False);
        Assert.That(IsalDeflate.Selects(" ZLIB\n"), Is.False);
        Assert.That(IsalDeflate.Selects(null), Is.Null);
        Assert.That(IsalDeflate.Selects(""), Is.Null);
        Assert.That(IsalDeflate.Selects("isal"), Is.Null);
        Assert.That(IsalDeflate.Selects("zlib-ng"), Is.Null);
    }
}
