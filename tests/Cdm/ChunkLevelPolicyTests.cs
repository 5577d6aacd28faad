using CoreDump.Cdm.Archive;
using CoreDump.Cdm.Policy;

namespace CoreDump.Tests.Cdm;

public class ChunkLevelPolicyTests
{
    private static ChunkSample Sampled(double ratio, bool allIncompressible = false) =>
        new(65536, (long)(65536 * ratio), allIncompressible);

    [Test]
    public void IncompressibleSamplesAreStoredAtAnyLevel()
    {
        Assert.That(ChunkLevelPolicy.Choose(Sampled(1.02, true), CompressionSetting.Adaptive, 0), Is.EqualTo(0));
        Assert.That(ChunkLevelPolicy.Choose(Sampled(1.02, true), CompressionSetting.Fixed(6), 0), Is.EqualTo(0));
        Assert.That(ChunkLevelPolicy.Choose(Sampled(0.95), CompressionSetting.Adaptive, 0), Is.EqualTo(0), "under 10 % gain at level 1");
        Assert.That(ChunkLevelPolicy.Choose(Sampled(0.95), CompressionSetting.Fixed(6), 0), Is.EqualTo(6), "a configured level is kept");
    }

    [TestCase(0.89, 1)]
    [TestCase(0.71, 1)]
    [TestCase(0.69, 2)]
    [TestCase(0.3, 2)]
    public void PoorlyCompressibleChunksGetLevel1(double ratio, int level)
    {
        Assert.That(ChunkLevelPolicy.Choose(Sampled(ratio), CompressionSetting.Adaptive, 0), Is.EqualTo(level));
    }

    [Test]
    public void OneHighlyCompressibleChunkInThreeGetsTheStrongLevel()
    {
        var levels = Enumerable.Range(0, 9).Select(i => ChunkLevelPolicy.Choose(Sampled(0.17), CompressionSetting.Adaptive, i)).ToArray();
        Assert.That(levels, Is.EqualTo(new[] { 2, 2, 4, 2, 2, 4, 2, 2, 4 }));
        Assert.That(ChunkLevelPolicy.Choose(Sampled(0.3), CompressionSetting.Adaptive, 2), Is.EqualTo(2), "not highly compressible: level 2");
    }

    [Test]
    public void OtherConfiguredLevelsAndUnsampledChunksAreKept()
    {
        Assert.That(ChunkLevelPolicy.Choose(Sampled(0.17), CompressionSetting.Fixed(6), 2), Is.EqualTo(6));
        Assert.That(ChunkLevelPolicy.Choose(Sampled(0.8), CompressionSetting.Fixed(9), 0), Is.EqualTo(9));
        Assert.That(ChunkLevelPolicy.Choose(ChunkSample.None, CompressionSetting.Adaptive, 2), Is.EqualTo(2));
        Assert.That(ChunkLevelPolicy.Choose(Sampled(1.02, true), CompressionSetting.Fixed(0), 0), Is.EqualTo(0));
    }
}
