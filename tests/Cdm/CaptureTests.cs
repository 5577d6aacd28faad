namespace CoreDump.Tests.Cdm;

/// <summary>A real core of a real crashed program, captured by the published AOT cdm run as the kernel runs it.</summary>
public class CaptureTests
{
    [Test]
    public void RealCrashIsCapturedVerifiedAndDebuggable()
    {
        var crash = Crashes.Make("segv", "victimd");
        using var root = new TempRoot(maxcore: 3);
        var r = KernelLike.Capture(root, "victimd", 1732540001, crash.CorePath);
        Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);

        Assert.That(root.Archives("victimd"), Is.EqualTo(new[] { "victimd.1.1732540001.core.tar.gz" }));
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir("victimd"), "victimd.1.1732540001.core.tar.gz"));
        Assert.That(check.Members, Is.EqualTo(new[] { "os-release", "victimd.1.1732540001.core", "metadata.json" }));
        Assert.That(check.Listing, Does.Contain("-rw------- root/root"), "core member mode 0600, owner root");
        Assert.That(check.Listing.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.All.Contains("root/root").And.All.Contains("2024-11-25 "), "root-owned, mtime = crash time");
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath), "extracted core is byte-identical to the input");
        Assert.That(File.ReadAllText(Path.Combine(check.ExtractDir, "os-release")), Does.Contain("CoreDump Test OS"));
        Assert.That(File.Exists(Path.Combine(root.DaemonDir("victimd"), "victimd.1.1732540001.core.tar.gz.pending")), "marker for the uploader");

        var gdb = Proc.Run("gdb", ["-nx", "-batch", "-iex", "set debuginfod enabled off", "-ex", "bt", crash.Exe, check.CoreFile]);
        Assert.That(gdb.Stdout, Does.Contain("crash_null_write"), gdb.Stdout + gdb.Stderr);
        Assert.That(gdb.Stdout, Does.Contain("main"));
        Assert.That(root.Log, Does.Contain("capture daemon=victimd slot=1").And.Contain("outcome=stored"));
    }

    [Test]
    public void MetadataMatchesTheCrashedProgram()
    {
        var crash = Crashes.Make("segv", "metad");
        using var root = new TempRoot();
        KernelLike.Capture(root, "metad", 1732540002, crash.CorePath, "P=999999", "s=11");
        var meta = new ArchiveCheck(Path.Combine(root.DaemonDir("metad"), root.Archives("metad").Single())).Metadata;
        Assert.Multiple(() =>
        {
            Assert.That(meta.Pid, Is.EqualTo(crash.Pid), "pid from the core's notes, not the argument");
            Assert.That(meta.Signal, Is.EqualTo(11));
            Assert.That(meta.ExecutablePath, Is.EqualTo(crash.Exe));
            Assert.That(meta.ProcessName, Is.EqualTo("metad"));
            Assert.That(meta.CommandLine, Does.StartWith(crash.Exe + " segv metad"));
            Assert.That(meta.RawName, Is.EqualTo("metad"));
            Assert.That(meta.CrashTime, Is.EqualTo(1732540002));
            Assert.That(meta.Options["P"], Is.EqualTo("999999"));
            Assert.That(meta.Truncated, Is.False);
            Assert.That(meta.IsElfCore, Is.True);
            Assert.That(meta.CoreBytesReceived, Is.EqualTo(new FileInfo(crash.CorePath).Length));
            Assert.That(meta.KernelRelease, Is.EqualTo(File.ReadAllText("/proc/sys/kernel/osrelease").Trim()));
            Assert.That(meta.Argv, Is.EqualTo(new[] { "metad", "1732540002", "P=999999", "s=11" }));
        });
    }

    [TestCase("abort", 6)]
    [TestCase("fpe", 8)]
    [TestCase("bus", 7)]
    [TestCase("threads", 11)]
    public void SignalOfEachKindIsRecorded(string mode, int signal)
    {
        var crash = Crashes.Make(mode, "sig" + mode);
        using var root = new TempRoot();
        KernelLike.Capture(root, "sig" + mode, 1732540003, crash.CorePath);
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir("sig" + mode), root.Archives("sig" + mode).Single()));
        Assert.That(check.Metadata.Signal, Is.EqualTo(signal));
        Assert.That(check.Metadata.Pid, Is.EqualTo(crash.Pid));
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath));
        if (mode == "threads") Assert.That(check.Metadata.Threads, Is.EqualTo(4));
    }
}
