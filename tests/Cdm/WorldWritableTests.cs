using System.Text.RegularExpressions;

namespace CoreDump.Tests.Cdm;

/// <summary>cdm touches nothing in a world-writable directory (where another user could plant or lock a
/// file) and flocks nothing another user could open: the AOT binary run the kernel's way under strace.</summary>
public class WorldWritableTests
{
    private static readonly string[] WorldWritable = ["/tmp", "/var/tmp", "/dev/shm"];

    [Test]
    public void NoPathUnderTmpAndNoFlockOnAFileOthersCanOpen()
    {
        if (Proc.Run("strace", ["-V"]).ExitCode != 0) Assert.Inconclusive("strace missing (./build.sh deps installs it)");
        var crash = Crashes.Cached("segv");
        // the capture's own tree must not lie under a world-writable folder, or every path would match: the
        // checkout's out/, or root's home when the checkout itself is under /tmp (as CI clones it)
        string baseDir = Path.Combine(Paths.RepoRoot, "out", "test-roots");
        if (WorldWritable.Any(w => baseDir.StartsWith(w + "/")))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            baseDir = Path.Combine(home.Length > 0 ? home : "/root", ".cache", "coredump-test-roots");
        }
        Directory.CreateDirectory(baseDir);
        Assert.That(WorldWritable.Any(w => baseDir.StartsWith(w + "/")), Is.False, "the test's own tree must not be under /tmp");
        // maxuse set: the kept total, the capture slots and the log lock are all exercised
        using var root = new TempRoot(maxcore: 1, extraConfig: "maxuse=1G\n", baseDir: baseDir);
        Directory.CreateDirectory(root.CorePath, (UnixFileMode)Convert.ToInt32("755", 8));
        Directory.CreateDirectory(Path.GetDirectoryName(root.LogFile)!, (UnixFileMode)Convert.ToInt32("755", 8)); // like /var/log: anyone may open it
        File.SetUnixFileMode(Path.GetDirectoryName(root.LogFile)!, (UnixFileMode)Convert.ToInt32("755", 8));
        string trace = Path.Combine(root.Dir, "strace.out");
        // the runtime resolves its own executable: run a copy outside /tmp when the checkout is there
        string cdm = Paths.Cdm;
        if (WorldWritable.Any(w => cdm.StartsWith(w + "/")))
        {
            cdm = Path.Combine(root.Dir, "cdm");
            File.Copy(Paths.Cdm, cdm);
            File.SetUnixFileMode(cdm, (UnixFileMode)Convert.ToInt32("755", 8));
        }
        foreach (long t in new long[] { 9400, 9401 }) // the second one finds everything in place
        {
            var r = Proc.Run("/bin/sh", ["-c",
                // the core arrives through a pipe, as from the kernel (the crash file itself lies under /tmp)
                "cd / && cat \"$6\" | env -i CDM_CONFIG=\"$1\" CDM_OS_RELEASE=\"$2\" strace -f -y -qq -s 4096 -o \"$3\" " +
                "-e trace=%file,flock \"$4\" ww \"$5\" 1>&- 2>&-",
                "sh", root.ConfigFile, root.OsRelease, trace + t, cdm, t.ToString(), crash.CorePath]);
            Assert.That(r.ExitCode, Is.EqualTo(0), root.Log);
        }
        Assert.That(root.Archives(crash.Daemon), Has.Length.EqualTo(1), root.Log);
        var lines = File.ReadAllLines(trace + 9400).Concat(File.ReadAllLines(trace + 9401)).ToList();
        Assert.That(lines, Has.Some.Contains("flock("), "the trace sees cdm's flocks");

        var touched = lines.Where(l => !l.Contains("execve(")).SelectMany(PathsIn).Distinct().ToList();
        Assert.That(touched, Has.Some.StartsWith(root.CorePath), "the trace resolves cdm's paths");
        var bad = touched.Where(p => WorldWritable.Any(w => p == w || p.StartsWith(w + "/"))).ToList();
        Assert.That(bad, Is.Empty, "paths under a world-writable directory:\n" + string.Join("\n", bad));

        var flocked = lines.Select(l => Regex.Match(l, @"flock\(\d+<([^>]*)>")).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.That(flocked, Is.Not.Empty);
        foreach (var path in flocked)
        {
            Assert.That(WorldWritable.Any(w => path.StartsWith(w + "/")), Is.False, path);
            if (!File.Exists(path) && !Directory.Exists(path)) continue; // a temporary, renamed since (0600 while it lived)
            var mode = (int)File.GetUnixFileMode(path);
            Assert.That(mode & 0x6, Is.EqualTo(0), $"flock on {path} (mode {Convert.ToString(mode, 8)}), which others may open");
        }
    }

    /// <summary>Every path a traced line names, made absolute (cwd is /; "N&lt;dir&gt;" dirfds joined).</summary>
    private static IEnumerable<string> PathsIn(string line)
    {
        var call = Regex.Match(line, @"^\d+\s+(\w+)\((.*)$");
        if (!call.Success) yield break;
        string args = call.Groups[2].Value;
        foreach (Match m in Regex.Matches(args, @"<(/[^>]*)>")) yield return m.Groups[1].Value;
        var dirfd = Regex.Match(args, @"^(AT_FDCWD|\d+<([^>]*)>),\s*""([^""]*)""");
        if (dirfd.Success)
        {
            string dir = dirfd.Groups[1].Value == "AT_FDCWD" ? "/" : dirfd.Groups[2].Value;
            string name = dirfd.Groups[3].Value;
            yield return name.StartsWith('/') ? name : Path.Combine(dir, name);
        }
        else
        {
            var first = Regex.Match(args, @"^""([^""]*)""");
            if (first.Success) yield return first.Groups[1].Value.StartsWith('/') ? first.Groups[1].Value : "/" + first.Groups[1].Value;
        }
        // renameat(olddirfd, old, newdirfd, new)
        var second = Regex.Match(args, @",\s*(\d+)<([^>]*)>,\s*""([^""]*)""");
        if (second.Success) yield return Path.Combine(second.Groups[2].Value, second.Groups[3].Value);
    }
}
