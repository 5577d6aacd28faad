using CoreDump.Cdm.Intake;

namespace CoreDump.Tests.Cdm;

public class ElfCoreParserTests
{
    [Test]
    public void ReadsAKernelCoreWhateverTheChunking()
    {
        var crash = Crashes.Cached("segv");
        var core = File.ReadAllBytes(crash.CorePath);
        foreach (int piece in new[] { 1, 7, 64, 4096, 1 << 20 })
        {
            var s = new ElfCoreSniffer();
            for (int off = 0; off < core.Length; off += piece) s.Observe(core.AsSpan(off, Math.Min(piece, core.Length - off)));
            s.Complete();
            var info = s.Info;
            Assert.That(info.IsCore, Is.True);
            Assert.That(info.ExpectedSize, Is.EqualTo(core.Length), $"piece {piece}");
            Assert.That(info.Pid, Is.EqualTo(crash.Pid));
            Assert.That(info.Signal, Is.EqualTo(11));
            Assert.That(info.ExecutablePath, Is.EqualTo(crash.Exe));
            Assert.That(info.MappedFiles, Has.Some.Contains("libc"));
        }
    }

    [Test]
    public void GarbageIsNotACore()
    {
        var s = new ElfCoreSniffer();
        s.Observe("not an elf file at all, just some text that is longer than sixty-four bytes......"u8);
        s.Complete();
        Assert.That(s.Info.IsElf, Is.False);
        Assert.That(s.Info.ExpectedSize, Is.Null);
        Assert.That(s.LayoutSettled, Is.True);
    }

    [Test]
    public void RandomBytesAfterAnElfMagicNeverThrow()
    {
        var rng = new Random(3);
        for (int i = 0; i < 500; i++)
        {
            var data = new byte[rng.Next(64, 5000)];
            rng.NextBytes(data);
            new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1 }.CopyTo(data, 0);
            var s = new ElfCoreSniffer();
            s.Observe(data);
            s.Complete();
            Assert.That(s.Info.IsElf, Is.True);
        }
    }
}
