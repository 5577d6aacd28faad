using CoreDump.Archive;

namespace CoreDump.Tests.Unit;

public class TarFramingTests
{
    [Test]
    public void HeaderHasModeOwnerAndSize()
    {
        var h = TarFraming.Header("x.core", 12345, 0x180, DateTimeOffset.FromUnixTimeSeconds(1732540000));
        Assert.That(h, Has.Length.EqualTo(512));
        Assert.That(TarFraming.ReadSize(h), Is.EqualTo(12345));
        Assert.That(System.Text.Encoding.ASCII.GetString(h, 100, 7), Is.EqualTo("0000600"));
        Assert.That(System.Text.Encoding.ASCII.GetString(h, 265, 4), Is.EqualTo("root"));
    }

    [TestCase(0L)]
    [TestCase(8L << 30)]
    [TestCase((8L << 30) + 1)]
    [TestCase(1L << 40)]
    public void SizesBeyondOctalUseBase256(long size)
    {
        var h = TarFraming.WithSize(TarFraming.Header("big", 1, 0x180, DateTimeOffset.UnixEpoch), size);
        Assert.That(TarFraming.ReadSize(h), Is.EqualTo(size));
        // and GNU tar agrees: an archive holding only the header lists the size
        var dir = Directory.CreateTempSubdirectory("tarhdr-").FullName;
        var file = Path.Combine(dir, "h.tar");
        File.WriteAllBytes(file, [.. h, .. new byte[1024]]);
        var r = Proc.Run("tar", ["-tvf", file]);
        Assert.That(r.Stdout + r.Stderr, Does.Contain(size.ToString()));
        Assert.That(r.Stdout, Does.Contain("0/0"));
        Directory.Delete(dir, true);
    }

    [Test]
    public void StoredMemberIsValidGzipAndFixedSize()
    {
        var data = new byte[512];
        new Random(5).NextBytes(data);
        var m = GzipMember.Stored(data);
        Assert.That(m, Has.Length.EqualTo(GzipMember.StoredLength(512)));
        var dir = Directory.CreateTempSubdirectory("gzm-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "m.gz"), m);
        Assert.That(Proc.Run("gzip", ["-t", Path.Combine(dir, "m.gz")]).ExitCode, Is.EqualTo(0));
        Assert.That(Proc.Run("gzip", ["-d", Path.Combine(dir, "m.gz")]).ExitCode, Is.EqualTo(0));
        Assert.That(File.ReadAllBytes(Path.Combine(dir, "m")), Is.EqualTo(data));
        Directory.Delete(dir, true);
    }
}
