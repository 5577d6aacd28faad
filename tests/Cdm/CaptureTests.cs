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

        string d = crash.Daemon;
        Assert.That(d, Does.Match("^victimd~[0-9a-f]{8}$"), "a program outside the system directories: name + hash of its path");
        Assert.That(root.Archives(d), Is.EqualTo(new[] { $"{d}.1.1732540001.core.tar.gz" }));
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(d), $"{d}.1.1732540001.core.tar.gz"));
        Assert.That(check.Members, Is.EqualTo(new[] { "os-release", $"{d}.1.1732540001.core", "metadata.json" }));
        Assert.That(check.Listing, Does.Contain("-rw------- root/root"), "core member mode 0600, owner root");
        Assert.That(check.Listing.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.All.Contains("root/root").And.All.Contains("2024-11-25 "), "root-owned, mtime = crash time");
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath), "extracted core is byte-identical to the input");
        Assert.That(File.ReadAllText(Path.Combine(check.ExtractDir, "os-release")), Does.Contain("CoreDump Test OS"));
        Assert.That(File.Exists(Path.Combine(root.DaemonDir(d), $"{d}.1.1732540001.core.tar.gz.pending")), "marker for the uploader");

        var gdb = Proc.Run("gdb", ["-nx", "-batch", "-iex", "set debuginfod enabled off", "-ex", "bt", crash.Exe, check.CoreFile]);
        Assert.That(gdb.Stdout, Does.Contain("crash_null_write"), gdb.Stdout + gdb.Stderr);
        Assert.That(gdb.Stdout, Does.Contain("main"));
        Assert.That(root.Log, Does.Contain($"capture daemon={d} slot=1").And.Contain("outcome=stored"));
    }

    [Test]
    public void MetadataMatchesTheCrashedProgram()
    {
        var crash = Crashes.Make("segv", "metad");
        using var root = new TempRoot();
        KernelLike.Capture(root, "metad", 1732540002, crash.CorePath, $"P={crash.Pid}", "s=11");
        var meta = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single())).Metadata;
        Assert.Multiple(() =>
        {
            Assert.That(meta.Pid, Is.EqualTo(crash.Pid), "the host pid (%P)");
            Assert.That(meta.NamespacePid, Is.EqualTo(crash.Pid), "from the core's notes: the same namespace");
            Assert.That(meta.ForeignNamespace, Is.False);
            Assert.That(meta.DaemonDir, Is.EqualTo(crash.Daemon));
            Assert.That(meta.IdentityVerified, Is.True);
            Assert.That(meta.Uid, Is.EqualTo(0));
            Assert.That(meta.Warnings, Has.None.Contains("identity unverified"));
            Assert.That(meta.Signal, Is.EqualTo(11));
            Assert.That(meta.ExecutablePath, Is.EqualTo(crash.Exe));
            Assert.That(meta.ProcessName, Is.EqualTo("metad"));
            Assert.That(meta.CommandLine, Does.StartWith(crash.Exe + " segv metad"));
            Assert.That(meta.RawName, Is.EqualTo("metad"));
            Assert.That(meta.CrashTime, Is.EqualTo(1732540002));
            Assert.That(meta.Options["P"], Is.EqualTo(crash.Pid.ToString()));
            Assert.That(meta.Truncated, Is.False);
            Assert.That(meta.IsElfCore, Is.True);
            Assert.That(meta.CoreBytesReceived, Is.EqualTo(new FileInfo(crash.CorePath).Length));
            Assert.That(meta.KernelRelease, Is.EqualTo(File.ReadAllText("/proc/sys/kernel/osrelease").Trim()));
            Assert.That(meta.Argv, Is.EqualTo(new[] { "metad", "1732540002", $"P={crash.Pid}", "s=11" }));
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
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single()));
        Assert.That(check.Metadata.Signal, Is.EqualTo(signal));
        Assert.That(check.Metadata.Pid, Is.EqualTo(crash.Pid));
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath));
        if (mode == "threads") Assert.That(check.Metadata.Threads, Is.EqualTo(4));
    }
}
