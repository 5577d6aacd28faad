using System.Security.Cryptography;
using System.Text;

namespace CoreDump.Tests.Cdm;

/// <summary>Crashes from another PID or mount namespace: real processes in namespaces made with unshare(1),
/// their real cores fed to cdm with the pids the kernel would pass (%P on the host, %p in the namespace).</summary>
public class NamespaceTests
{
    private static string Hash8(string path, bool foreign) =>
        Convert.ToHexString(SHA256.HashData([.. Encoding.UTF8.GetBytes(path), .. (foreign ? "\0foreign-namespace"u8.ToArray() : [])]), 0, 4).ToLowerInvariant();

    /// <summary>Host pid of the process named <paramref name="name"/> whose NSpid has two levels, and its pid in its namespace.</summary>
    private static (int Host, int Inner)? FindNamespaced(string name)
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            try
            {
                var status = File.ReadAllLines(Path.Combine(dir, "status"));
                if (status.FirstOrDefault(l => l.StartsWith("Name:")) is not { } n || n.Split('\t')[1] != name) continue;
                var ns = status.First(l => l.StartsWith("NSpid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries);
                if (ns.Length == 3) return (int.Parse(ns[1]), int.Parse(ns[2]));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }

    [Test]
    public void ACrashInANewPidAndMountNamespaceIsMarkedForeignAndHashed()
    {
        string name = "nsd" + Random.Shared.Next(10000, 99999);
        string dir = Directory.CreateTempSubdirectory("cdmcrash-ns-").FullName;
        // the program runs as pid 2 of a new PID namespace, in a new mount namespace; the kernel writes its core
        var unshare = Proc.Run("/bin/sh", ["-c",
            "cd \"$1\" && ulimit -c unlimited && exec unshare --pid --mount --fork sh -c '\"$0\" sleep \"$1\" & wait' \"$2\" \"$3\" >/dev/null 2>&1 &",
            "sh", dir, Crashes.Crasher, name]);
        (int Host, int Inner)? pids = null;
        for (int i = 0; i < 200 && pids is null; i++) { Thread.Sleep(20); pids = FindNamespaced(name); }
        if (pids is not { } p) { Assert.Inconclusive("unshare --pid --mount did not start the program: " + unshare.Stderr); return; }
        Assert.That(p.Inner, Is.Not.EqualTo(p.Host));
        Proc.Run("kill", ["-SEGV", p.Host.ToString()]);
        string? core = null;
        for (int i = 0; i < 300 && core is null; i++) { Thread.Sleep(20); core = Directory.GetFiles(dir, "core*").FirstOrDefault(f => new FileInfo(f).Length > 0 && !IsGrowing(f)); }
        if (core is null) { Assert.Inconclusive("the kernel wrote no core in the namespace"); return; }

        using var root = new TempRoot();
        Assert.That(KernelLike.Capture(root, name, 1200, core, $"P={p.Host}", $"p={p.Inner}", "u=0").ExitCode, Is.EqualTo(0), root.Log);
        string d = $"{name}~{Hash8(Crashes.Crasher, foreign: true)}";
        Assert.That(Directory.GetDirectories(root.CorePath).Select(Path.GetFileName), Is.EqualTo(new[] { d }), "the namespace marker is in the hash");
        var meta = new ArchiveCheck(Path.Combine(root.DaemonDir(d), root.Archives(d).Single())).Metadata;
        Assert.Multiple(() =>
        {
            Assert.That(meta.ForeignNamespace, Is.True);
            Assert.That(meta.Pid, Is.EqualTo(p.Host));
            Assert.That(meta.NamespacePid, Is.EqualTo(p.Inner));
            Assert.That(meta.Signal, Is.EqualTo(11));
            Assert.That(meta.Warnings, Has.Some.Contains("another PID namespace"));
        });

        // without p= the notes' pid (the namespace's) against %P says the same
        KernelLike.Capture(root, name, 1201, core, $"P={p.Host}");
        var again = new ArchiveCheck(Path.Combine(root.DaemonDir(d), root.Archives(d).Single())).Metadata;
        Assert.That(again.NamespacePid, Is.EqualTo(p.Inner));
        Assert.That(again.ForeignNamespace, Is.True);
    }

    private static bool IsGrowing(string f)
    {
        long a = new FileInfo(f).Length;
        Thread.Sleep(50);
        return new FileInfo(f).Length != a;
    }

    [Test]
    public void TheMountNamespaceAndCgroupAreReadFromProcWhileTheCrashedProcessWaits()
    {
        // a live process in a new mount namespace (same PID namespace) stands for the crashed process the
        // kernel keeps alive until cdm closes stdin; a real core is fed for it with its own pid as %P and %p
        var crash = Crashes.Cached("segv");
        using var sleeper = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("unshare", ["--mount", "sleep", "60"]) { UseShellExecute = false })!;
        using var plain = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", ["60"]) { UseShellExecute = false })!;
        try
        {
            for (int i = 0; i < 100 && File.ReadAllText($"/proc/{sleeper.Id}/comm").Trim() != "sleep"; i++) Thread.Sleep(20);
            using var root = new TempRoot();
            KernelLike.Capture(root, "crasher", 1300, crash.CorePath, $"P={sleeper.Id}", $"p={sleeper.Id}");
            string foreignDir = $"crasher~{Hash8(crash.Exe, foreign: true)}";
            var meta = new ArchiveCheck(Path.Combine(root.DaemonDir(foreignDir), root.Archives(foreignDir).Single())).Metadata;
            Assert.That(meta.ForeignNamespace, Is.True, "its mount namespace differs from cdm's");
            Assert.That(meta.Warnings, Has.Some.Contains("another mount namespace"));
            Assert.That(meta.Cgroup, Is.EqualTo(File.ReadAllText($"/proc/{sleeper.Id}/cgroup").TrimEnd('\n')));

            KernelLike.Capture(root, "crasher", 1301, crash.CorePath, $"P={plain.Id}", $"p={plain.Id}");
            var home = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single())).Metadata;
            Assert.That(home.ForeignNamespace, Is.False);
            Assert.That(home.Cgroup, Is.Not.Null.And.Not.Empty);

            // a pid with no /proc entry is fine: nothing read, nothing claimed
            KernelLike.Capture(root, "crasher", 1302, crash.CorePath, "P=2147483000", "p=2147483000");
            var gone = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single())).Metadata;
            Assert.That(gone.Cgroup, Is.Null);
            Assert.That(gone.ForeignNamespace, Is.False);
        }
        finally
        {
            sleeper.Kill(); plain.Kill();
            sleeper.WaitForExit(); plain.WaitForExit();
        }
    }
}
