using CoreDump.Cdm.Policy;

namespace CoreDump.Tests.Cdm;

public class KeptUsageTests
{
    [Test]
    public void RoundTripsAndRejectsGarbage()
    {
        var k = new KeptUsage(123456789, 1700000000);
        Assert.That(KeptUsage.Parse(k.Serialize()), Is.EqualTo(k));
        foreach (var bad in new[] { null, "", "v1 12", "v2 1 2", "v1 -5 2", "v1 x 2", "v1 1 2 3", "\0\0" })
            Assert.That(KeptUsage.Parse(bad), Is.Null, bad ?? "null");
    }

    [TestCase(1000, 1000, true)]
    [TestCase(1000, 1000 + KeptUsage.RescanAfter - 1, true)]
    [TestCase(1000, 1000 + KeptUsage.RescanAfter, false)]
    [TestCase(1000, 999, false)] // clock stepped back: rescan
    public void FreshOnlyWithinTheRescanWindow(long scannedAt, long now, bool fresh) =>
        Assert.That(new KeptUsage(1, scannedAt).IsFresh(now), Is.EqualTo(fresh));

    [Test]
    public void AddingNeverGoesBelowZero()
    {
        Assert.That(new KeptUsage(100, 5).Add(50, 30).Total, Is.EqualTo(120));
        Assert.That(new KeptUsage(10, 5).Add(0, 30).Total, Is.EqualTo(0));
    }
}
