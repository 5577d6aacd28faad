using CoreDump.Cdm.Policy;

namespace CoreDump.Tests.Cdm;

public class GuardPolicyTests
{
    private static readonly CoreFileConfig Cfg = CoreFileConfig.Defaults with { KeepFree = new KeepFree(0, 10), MaxUse = 1000 };

    [Test]
    public void KeepFreeAndMaxUse()
    {
        Assert.That(DiskGuardPolicy.Check(Cfg, 10_000, 5_000, 100, 100), Is.Null);
        Assert.That(DiskGuardPolicy.Check(Cfg, 10_000, 999, 0, 0), Does.Contain("keepfree=10%"));
        Assert.That(DiskGuardPolicy.Check(Cfg, 10_000, 5_000, 900, 101), Does.Contain("maxuse"));
        Assert.That(DiskGuardPolicy.Check(Cfg with { MaxUse = 0 }, 10_000, 5_000, long.MaxValue / 2, 1), Is.Null);
        Assert.That(DiskGuardPolicy.Check(Cfg with { KeepFree = new KeepFree(4096, 0) }, 10_000, 4095, 0, 0), Does.Contain("4096"));
        Assert.That(DiskGuardPolicy.Check(Cfg, 10_000, 2_000, 0, 0, pending: 1001), Does.Contain("keepfree"), "bytes still in flight count against keepfree");
        Assert.That(DiskGuardPolicy.Check(Cfg, 10_000, 2_000, 0, 0, pending: 900), Is.Null);
        Assert.That(DiskGuardPolicy.Check(Cfg with { KeepFree = new KeepFree(0, 0) }, 10_000, 10, 0, 0, pending: 900), Is.Null, "keepfree=0 is off");
    }

    [Test]
    public void CrashLoopWindow()
    {
        var s = default(CrashLoopLimit.State);
        var admitted = new List<bool>();
        for (int i = 0; i < 5; i++)
        {
            var d = CrashLoopLimit.Decide(s, 100, burst: 3, interval: 60);
            admitted.Add(d.Admit);
            s = d.Next;
        }
        Assert.That(admitted, Is.EqualTo(new[] { true, true, true, false, false }));
        Assert.That(s.Suppressed, Is.EqualTo(2));
        var next = CrashLoopLimit.Decide(s, 161, 3, 60);
        Assert.That(next.Admit, Is.True);
        Assert.That(next.SuppressedBefore, Is.EqualTo(2));
        Assert.That(next.Next.Suppressed, Is.EqualTo(0));
        Assert.That(CrashLoopLimit.State.Parse(next.Next.Serialize()), Is.EqualTo(next.Next));
        Assert.That(CrashLoopLimit.State.Parse("garbage"), Is.EqualTo(default(CrashLoopLimit.State)));
        Assert.That(CrashLoopLimit.Decide(s, 100, burst: 0, interval: 60).Admit, Is.True, "0 = no limit");
    }
}
