namespace CoreDump.Tests.Cdm;

/// <summary>Bad configuration never costs a capture: defaults, a logged warning, the core kept.</summary>
public class ConfigTests
{
    [TestCase("maxcore=-1", "bad value \"-1\" for maxcore")]
    [TestCase("maxcore=three", "bad value \"three\" for maxcore")]
    [TestCase("\u0001\u0002garbage\nwhat is this", "not key=value")]
    [TestCase("maxcore=2\nmaxcore=5", "duplicate key maxcore")]
    [TestCase("maxcores=4", "unknown key \"maxcores\"")]
    [TestCase("compression=42", "bad value \"42\" for compression; keeping auto")]
    [TestCase("compression=fast", "bad value \"fast\" for compression; keeping auto")]
    [TestCase("maxcoresize=huge", "bad value \"huge\" for maxcoresize; keeping 32G")]
    public void BadConfigKeepsTheCaptureAndWarns(string extra, string warning)
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 1, extraConfig: extra);
        var r = KernelLike.Capture(root, "cfg", 4000, crash.CorePath);
        Assert.That(r.ExitCode, Is.EqualTo(0));
        Assert.That(root.Log, Does.Contain(warning));
        var archive = Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single());
        var check = new ArchiveCheck(archive);
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath));
        Assert.That(check.Metadata.Warnings, Has.Some.Contains(warning));
    }

    /// <summary>The setting reaches the compressor: level 0 stores every chunk (the archive outgrows the core),
    /// a fixed 9 and auto compress, and every one of them holds the core byte for byte.</summary>
    [Test]
    public void CompressionSettingReachesTheArchive()
    {
        var crash = Crashes.Cached("segv");
        long coreBytes = new FileInfo(crash.CorePath).Length;
        var sizes = new Dictionary<string, long>();
        foreach (var value in new[] { "0", "9", "auto" })
        {
            using var root = new TempRoot(maxcore: 1, extraConfig: $"compression={value}\n");
            Assert.That(KernelLike.Capture(root, "z" + value, 4100, crash.CorePath).ExitCode, Is.EqualTo(0), root.Log);
            var archive = Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single());
            var check = new ArchiveCheck(archive);
            Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath), $"compression={value}");
            Assert.That(check.Metadata.Warnings, Is.Empty, $"compression={value}");
            sizes[value] = new FileInfo(archive).Length;
        }
        Assert.That(sizes["0"], Is.GreaterThan(coreBytes), "level 0 stores");
        Assert.That(sizes["9"], Is.LessThan(coreBytes / 2), "level 9 compresses");
        Assert.That(sizes["auto"], Is.LessThan(coreBytes / 2), "auto compresses");
    }

    [Test]
    public void MissingConfigUsesDefaultsAndSaysSo()
    {
        // the default corepath (/var/core) must not be touched by tests: point CDM_CONFIG at a file that is
        // missing only after a first capture proved the path; here we check the parser's own report instead
        var parsed = CoreDump.Cdm.Policy.CoreFileConfigParser.Parse(null);
        Assert.That(parsed.Config, Is.EqualTo(CoreDump.Cdm.Policy.CoreFileConfig.Defaults));
        Assert.That(parsed.Config.MaxCore, Is.EqualTo(1));
        Assert.That(parsed.Config.CorePath, Is.EqualTo("/var/core"));
    }

    [Test]
    public void SymlinkedCorepathIsRefusedWithAReason()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        var elsewhere = Directory.CreateTempSubdirectory("cdm-elsewhere-").FullName;
        File.CreateSymbolicLink(root.CorePath, elsewhere);
        KernelLike.Capture(root, "sym", 4001, crash.CorePath);
        Assert.That(Directory.GetFileSystemEntries(elsewhere), Is.Empty, "nothing written through the symlink");
        Assert.That(root.Log, Does.Contain("is a symlink or not a directory; refused"));
        Directory.Delete(elsewhere, true);
    }

    [Test]
    public void WorldWritableDaemonDirectoryIsRefused()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        Directory.CreateDirectory(root.DaemonDir(crash.Daemon));
        File.SetUnixFileMode(root.DaemonDir(crash.Daemon), (UnixFileMode)Convert.ToInt32("777", 8));
        KernelLike.Capture(root, "ww", 4002, crash.CorePath);
        Assert.That(root.Archives(crash.Daemon), Is.Empty);
        Assert.That(root.DropRecords(crash.Daemon), Is.Empty, "nothing at all is written into a refused directory");
        Assert.That(root.Log, Does.Contain("writable by group or others"));
    }
}
