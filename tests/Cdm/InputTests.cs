namespace CoreDump.Tests.Cdm;

/// <summary>Input that is not a whole ELF core is still stored faithfully.</summary>
public class InputTests
{
    [Test]
    public void NonElfInputIsStoredByteForByte()
    {
        using var root = new TempRoot();
        var input = Path.Combine(root.Dir, "notacore");
        var data = new byte[3 * (1 << 20) + 12345];
        new Random(7).NextBytes(data);
        "hello, I am typing into cdm by hand\n"u8.CopyTo(data);
        File.WriteAllBytes(input, data);
        Assert.That(KernelLike.Capture(root, "hand", 7000, input).ExitCode, Is.EqualTo(0), root.Log);
        // no notes to read: the directory comes from the arguments, marked as unverified and hashed
        string d = Crashes.UnverifiedDaemon("hand");
        Assert.That(d, Does.Match("^hand~[0-9a-f]{8}$"));
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(d), root.Archives(d).Single()));
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, input));
        Assert.That(check.Metadata.IsElfCore, Is.False);
        Assert.That(check.Metadata.IdentityVerified, Is.False);
        Assert.That(check.Metadata.DaemonDir, Is.EqualTo(d));
        Assert.That(check.Metadata.Warnings, Has.Some.StartsWith("identity unverified"));
        Assert.That(check.Metadata.Truncated, Is.False);
        Assert.That(check.Metadata.CoreBytesReceived, Is.EqualTo(data.Length));
    }

    [TestCase(0)]
    [TestCase(10)]
    public void TinyAndEmptyInputIsStored(int size)
    {
        using var root = new TempRoot();
        var input = Path.Combine(root.Dir, "tiny");
        File.WriteAllBytes(input, new byte[size]);
        Assert.That(KernelLike.Capture(root, "tiny", 7001, input).ExitCode, Is.EqualTo(0), root.Log);
        string d = Crashes.UnverifiedDaemon("tiny");
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(d), root.Archives(d).Single()));
        Assert.That(new FileInfo(check.CoreFile).Length, Is.EqualTo(size));
    }

    [Test]
    public void TruncatedCoreIsPaddedAndFlagged()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        var full = File.ReadAllBytes(crash.CorePath);
        var cut = Path.Combine(root.Dir, "cut.core");
        File.WriteAllBytes(cut, full[..(full.Length / 2 + 123)]);
        Assert.That(KernelLike.Capture(root, "trunc", 7002, cut).ExitCode, Is.EqualTo(0), root.Log);
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single()));
        var stored = File.ReadAllBytes(check.CoreFile);
        Assert.That(stored.Length, Is.EqualTo(full.Length), "padded to the size the ELF headers declare");
        Assert.That(stored.AsSpan(0, full.Length / 2 + 123).SequenceEqual(full.AsSpan(0, full.Length / 2 + 123)), "received bytes kept exactly");
        Assert.That(stored.AsSpan(full.Length / 2 + 123).IndexOfAnyExcept((byte)0), Is.EqualTo(-1), "padding is zeros");
        var meta = check.Metadata;
        Assert.That(meta.Truncated, Is.True);
        Assert.That(meta.CoreBytesReceived, Is.EqualTo(full.Length / 2 + 123));
        Assert.That(meta.CoreBytesExpected, Is.EqualTo(full.Length));
        Assert.That(meta.TruncatedReason, Does.Contain("zero-padded"));
        Assert.That(root.Log, Does.Contain("truncated"));
    }
}
