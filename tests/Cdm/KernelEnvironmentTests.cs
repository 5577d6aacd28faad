namespace CoreDump.Tests.Cdm;

/// <summary>cdm started as the kernel starts it: env -i, fds 1 and 2 closed.</summary>
public class KernelEnvironmentTests
{
    [Test]
    public void ClosedStdoutAndStderrCannotLeakIntoTheArchive()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 2);
        var cwd = Directory.CreateTempSubdirectory("cdm-cwd-").FullName;
        // first capture creates the directories; the second runs with everything in place
        foreach (long t in new long[] { 5000, 5001 })
        {
            var r = Proc.Run("/bin/sh", ["-c", "cd \"$1\" && exec env -i CDM_CONFIG=\"$2\" CDM_OS_RELEASE=\"$3\" \"$4\" leak \"$5\" <\"$6\" 1>&- 2>&-",
                "sh", cwd, root.ConfigFile, root.OsRelease, Paths.Cdm, t.ToString(), crash.CorePath]);
            Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);
        }
        foreach (var a in root.Archives(crash.Daemon))
        {
            var check = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), a));
            Assert.That(check.Members, Is.EqualTo(new[] { "os-release", a.Replace(".tar.gz", ""), "metadata.json" }));
            Assert.That(ArchiveCheck.SameBytes(check.CoreFile, crash.CorePath));
        }
        Assert.That(Directory.GetFileSystemEntries(cwd), Is.Empty, "nothing written to the working directory");
        Assert.That(Directory.GetFiles(root.DaemonDir(crash.Daemon)).Select(Path.GetFileName).Where(f => f != ".ratelimit").Count(), Is.EqualTo(4), "two archives, two markers, nothing else");
        Assert.That(root.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.All.Match(@"^\d{4}-\d\d-\d\dT"), "the log holds only log lines");
        Directory.Delete(cwd);
    }

    [Test]
    public void StandardFdsAreParkedOnDevNullBeforeTheRuntimeStarts()
    {
        // /proc/self/fd of a cdm that waits on its stdin (a fifo we hold open) shows what fds 1 and 2 became
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        var fifo = Path.Combine(root.Dir, "fifo");
        Proc.MustSh("mkfifo \"$1\"", null, fifo);
        var sh = Proc.Run("/bin/sh", ["-c",
            "exec 3<>\"$1\"; env -i CDM_CONFIG=\"$2\" \"$3\" fds 6000 <\"$1\" 1>&- 2>&- 3>&- & pid=$!; sleep 0.5; " +
            "readlink /proc/$pid/fd/1; readlink /proc/$pid/fd/2; cat \"$4\" >&3; exec 3>&-; wait $pid",
            "sh", fifo, root.ConfigFile, Paths.Cdm, crash.CorePath]);
        var lines = sh.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.GreaterThanOrEqualTo(2), sh.Stdout + sh.Stderr);
        Assert.That(lines[0], Is.EqualTo("/dev/null"));
        Assert.That(lines[1], Is.EqualTo("/dev/null"));
    }
}
