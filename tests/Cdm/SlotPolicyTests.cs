using CoreDump.Cdm.Slots;
using CoreDump.Naming;

namespace CoreDump.Tests.Cdm;

public class SlotPolicyTests
{
    [TestCase(0, new int[0], 0)]
    [TestCase(1, new int[0], 1)]
    [TestCase(1, new[] { 1 }, 1)]
    [TestCase(3, new int[0], 1)]
    [TestCase(3, new[] { 1 }, 2)]
    [TestCase(3, new[] { 1, 2 }, 3)]
    [TestCase(3, new[] { 1, 2, 3 }, 3)]
    [TestCase(3, new[] { 2, 3 }, 1)]
    [TestCase(5, new[] { 1, 2, 3, 4, 5, 9 }, 5)]
    public void Choose(int maxcore, int[] taken, int expected) => Assert.That(SlotPolicy.Choose(maxcore, taken), Is.EqualTo(expected));

    [Test]
    public void LaterCrashReplacesTheLastSlot()
    {
        Assert.That(SlotPolicy.Replaces(10, 9), Is.True);
        Assert.That(SlotPolicy.Replaces(10, 10), Is.True);
        Assert.That(SlotPolicy.Replaces(9, 10), Is.False);
    }

    [Test]
    public void ArchiveNamesRoundTrip()
    {
        var n = new ArchiveName("a%20b", 3, 1732540000);
        Assert.That(n.FileName, Is.EqualTo("a%20b.3.1732540000.core.tar.gz"));
        Assert.That(ArchiveName.Parse(n.FileName, "a%20b"), Is.EqualTo(n));
        Assert.That(ArchiveName.Parse(n.FileName, "a"), Is.Null);
        Assert.That(ArchiveName.Parse("a%20b.0.1.core.tar.gz", "a%20b"), Is.Null);
        Assert.That(ArchiveName.ParseTemp(n.TempName(77), "a%20b"), Is.EqualTo((n, 77)));
        Assert.That(ArchiveName.Parse("x.1.5.core.tar.gz.pending", "x"), Is.Null);
    }
}
