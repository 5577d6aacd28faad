using System.Diagnostics;

namespace CoreDump.Tests.Cdm;

/// <summary>No lock that another process holds, root or not, can stall cdm or make it drop the
/// administrator's settings: the log folder, core_file.conf and os-release are flocked for real
/// (util-linux flock, as root and as uid 65534 via setpriv) while the AOT cdm captures a real core.</summary>
public class LockTests
{
    public enum Target { LogFolder, ConfigFile, OsRelease, LogLockFile }

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Test]
    public void HeldLocksNeitherStallCdmNorCostTheAdminsSettings(
        [Values] Target target, [Values(false, true)] bool unprivileged)
    {
        if (target == Target.LogLockFile && !unprivileged) Assert.Ignore("root holding cdm's own lock: see RootHeldLogLockIsWaitedForBoundedly");
        var crash = Crashes.Cached("segv");
        // maxcore=2 and ratelimit_burst=1 are the admin's: with the defaults a second crash would replace slot 1
        using var root = new TempRoot(maxcore: 2, extraConfig: "compression=1\n");
        OpenToOthers(root);
        string path = target switch
        {
            Target.LogFolder => Path.GetDirectoryName(root.LogFile)!,
            Target.ConfigFile => root.ConfigFile,
            Target.OsRelease => root.OsRelease,
            _ => root.LogFile + ".lock",
        };
        if (target == Target.LogLockFile)
        {
            // planted by another user in a folder it may write to: cdm must not use it, let alone wait on it
            File.WriteAllText(path, "");
            File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("666", 8));
            Proc.MustSh("chown 65534:65534 \"$1\"", null, path);
            File.SetUnixFileMode(Path.GetDirectoryName(path)!, (UnixFileMode)Convert.ToInt32("777", 8) | UnixFileMode.StickyBit);
        }
        using var holder = HoldLock(path, unprivileged);
        var clock = Stopwatch.StartNew();
        var r = KernelLike.Capture(root, "locked", 9300, crash.CorePath);
        var first = clock.Elapsed;
        KernelLike.Capture(root, "locked", 9301, crash.CorePath);
        Assert.That(clock.Elapsed, Is.LessThan(Bound), $"two captures under a held {target} lock");
        Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);
        Assert.That(first, Is.LessThan(Bound / 2));
        // the admin's corepath, maxcore=2: both crashes kept, in slots 1 and 2
        string d = crash.Daemon; // filed by the core's own identity, whatever %e says
        Assert.That(root.Archives(d), Is.EqualTo(new[] { $"{d}.1.9300.core.tar.gz", $"{d}.2.9301.core.tar.gz" }));
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(d), root.Archives(d)[0]));
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath));
        Assert.That(File.ReadAllText(Path.Combine(check.ExtractDir, "os-release")), Does.Contain("CoreDump Test OS"), "os-release read despite the lock");
        Assert.That(check.Metadata.Warnings, Has.None.Contains("using defaults"));
        Assert.That(root.Log, Does.Contain($"capture daemon={d} slot=2"), "both captures logged");
        Assert.That(holder.HasExited, Is.False, "the lock was held throughout");
    }

    [Test]
    public void RootHeldLogLockIsWaitedForBoundedly()
    {
        // only root can hold cdm's 0600 log lock (a stuck root process): the wait ends, the line is written
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(extraConfig: "maxcore=3\n"); // a duplicate key: one more log line (a warning)
        Directory.CreateDirectory(Path.GetDirectoryName(root.LogFile)!);
        File.WriteAllText(root.LogFile + ".lock", "");
        File.SetUnixFileMode(root.LogFile + ".lock", (UnixFileMode)Convert.ToInt32("600", 8));
        using var holder = HoldLock(root.LogFile + ".lock", unprivileged: false);
        var clock = Stopwatch.StartNew();
        KernelLike.Capture(root, "rootlock", 9310, crash.CorePath);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(6)), "one bounded wait, not one per line");
        Assert.That(root.Log, Does.Contain("duplicate key maxcore").And.Contain($"capture daemon={crash.Daemon}"));
        Assert.That(root.Archives(crash.Daemon), Has.Length.EqualTo(1));
    }

    /// <summary>Lets uid 65534 reach the tree: the root, the config, os-release and the log folder.</summary>
    private static void OpenToOthers(TempRoot root)
    {
        File.SetUnixFileMode(root.Dir, (UnixFileMode)Convert.ToInt32("755", 8));
        File.SetUnixFileMode(root.ConfigFile, (UnixFileMode)Convert.ToInt32("644", 8));
        File.SetUnixFileMode(root.OsRelease, (UnixFileMode)Convert.ToInt32("644", 8));
        Directory.CreateDirectory(Path.GetDirectoryName(root.LogFile)!, (UnixFileMode)Convert.ToInt32("755", 8));
        File.SetUnixFileMode(Path.GetDirectoryName(root.LogFile)!, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    /// <summary>flock -x PATH sleep, as root or as uid 65534; returns once the lock is held.</summary>
    public static LockHolder HoldLock(string path, bool unprivileged)
    {
        var psi = new ProcessStartInfo(unprivileged ? "setpriv" : "flock") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in unprivileged ? new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "flock", "-x", path, "sleep", "120" }
                     : new[] { "-x", path, "sleep", "120" })
            psi.ArgumentList.Add(a);
        var holder = new LockHolder(Process.Start(psi)!);
        var clock = Stopwatch.StartNew();
        // held once a non-blocking attempt of ours fails
        while (Proc.Run("flock", ["-n", "-x", path, "true"]).ExitCode == 0)
        {
            if (holder.HasExited) Assert.Fail($"the lock holder exited: {holder.Process.StandardError.ReadToEnd()}");
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) { holder.Dispose(); Assert.Fail("the lock was never taken"); }
            Thread.Sleep(20);
        }
        return holder;
    }

    /// <summary>The flock process; killed (by its own pid) on dispose.</summary>
    public sealed class LockHolder(Process process) : IDisposable
    {
        public Process Process => process;
        public bool HasExited => process.HasExited;

        public void Dispose()
        {
            if (!process.HasExited) { process.Kill(); process.WaitForExit(); }
            process.Dispose();
        }
    }
}
