using System.Security.Cryptography;
using System.Text;

namespace CoreDump.Tests.Cdm;

/// <summary>The directory is chosen from what the crashed process cannot forge (the core's NT_PRPSINFO, the
/// kernel's %u and %E), so a process of another uid or executable that calls itself like a daemon can never
/// replace, evict or rate-limit that daemon's archives. Real cores of the test program, real uid changes.</summary>
public class IdentityTests
{
    private static string Hash8(string path) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(path)), 0, 4).ToLowerInvariant();

    /// <summary>Crashes <paramref name="exe"/> as <paramref name="uid"/> (setpriv; real uid change), named <paramref name="name"/>.</summary>
    private static (string Core, int Pid) CrashAs(string exe, int uid, string mode, string name)
    {
        string dir = Directory.CreateTempSubdirectory("cdmcrash-uid-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8)); // the crashed process writes its core here
        Proc.Sh("ulimit -c unlimited; setpriv --reuid=\"$4\" --regid=\"$4\" --clear-groups \"$1\" \"$2\" \"$3\" & echo $! > pid; wait",
            dir, 60_000, exe, mode, name, uid.ToString());
        var cores = Directory.GetFiles(dir, "core*");
        if (cores.Length == 0) Assert.Inconclusive("the kernel wrote no core for the uid-changed process");
        return (cores[0], int.Parse(File.ReadAllText(Path.Combine(dir, "pid")).Trim()));
    }

    private static string CopyOfCrasher()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cdmtest-programs", "elsewhere");
        Directory.CreateDirectory(dir);
        string copy = Path.Combine(dir, "crasher");
        if (!File.Exists(copy)) File.Copy(Crashes.Crasher, copy);
        return copy;
    }

    [Test]
    public void AnotherUidNamedLikeTheDaemonCanNeitherReplaceNorRateLimitIt()
    {
        var victim = Crashes.Make("segv", "victimd");
        using var root = new TempRoot(maxcore: 1, extraConfig: "ratelimit_burst=3\nratelimit_interval=60\n");
        Assert.That(KernelLike.Capture(root, "victimd", 100, victim.CorePath, $"P={victim.Pid}", "u=0").ExitCode, Is.EqualTo(0), root.Log);
        string victimDir = $"victimd~{Hash8(Crashes.Crasher)}";
        Assert.That(root.Archives(victimDir), Is.EqualTo(new[] { $"{victimDir}.1.100.core.tar.gz" }));

        // the attacker: uid 65534, the same name; nine crashes in a row, as the kernel would report them
        var (evilCore, evilPid) = CrashAs(Crashes.Crasher, 65534, "segv", "victimd");
        for (int i = 0; i < 9; i++)
            KernelLike.Capture(root, "victimd", 200 + i, evilCore, $"P={evilPid}", "u=65534");
        string evilDir = $"victimd@65534~{Hash8(Crashes.Crasher)}";
        Assert.That(root.Archives(evilDir), Is.EqualTo(new[] { $"{evilDir}.1.202.core.tar.gz" }), "its own directory, its own budget");
        Assert.That(root.DropRecords(evilDir), Has.Length.EqualTo(4), "six crashes over its budget, four drop records kept (maxdrop)");
        var evilMeta = new ArchiveCheck(Path.Combine(root.DaemonDir(evilDir), root.Archives(evilDir).Single())).Metadata;
        Assert.That(evilMeta.Uid, Is.EqualTo(65534));
        Assert.That(evilMeta.DaemonDir, Is.EqualTo(evilDir));

        // without u= the core's own NT_PRPSINFO says 65534 all the same
        KernelLike.Capture(root, "victimd", 300, evilCore);
        Assert.That(root.Archives(victimDir), Is.EqualTo(new[] { $"{victimDir}.1.100.core.tar.gz" }), "the daemon's archive untouched");

        // the real daemon's next crash is still captured: its budget was never touched
        Assert.That(KernelLike.Capture(root, "victimd", 400, victim.CorePath, $"P={victim.Pid}", "u=0").ExitCode, Is.EqualTo(0));
        Assert.That(root.Archives(victimDir), Is.EqualTo(new[] { $"{victimDir}.1.400.core.tar.gz" }));
        Assert.That(root.DropRecords(victimDir), Is.Empty);
        var check = new ArchiveCheck(Path.Combine(root.DaemonDir(victimDir), $"{victimDir}.1.400.core.tar.gz"));
        Assert.That(ArchiveCheck.SameBytes(check.CoreFile, victim.CorePath));
    }

    [Test]
    public void AnotherExecutableOfTheSameUidAndNameGetsItsOwnDirectory()
    {
        var victim = Crashes.Make("segv", "victimd");
        using var root = new TempRoot(maxcore: 1);
        KernelLike.Capture(root, "victimd", 100, victim.CorePath);
        string copy = CopyOfCrasher();
        var (otherCore, _) = CrashAs(copy, 0, "segv", "victimd");
        KernelLike.Capture(root, "victimd", 101, otherCore);
        Assert.That(root.Archives($"victimd~{Hash8(Crashes.Crasher)}"), Has.Length.EqualTo(1));
        Assert.That(root.Archives($"victimd~{Hash8(copy)}"), Is.EqualTo(new[] { $"victimd~{Hash8(copy)}.1.101.core.tar.gz" }));
        // %E (the kernel's record of the executable) decides over the mappings when given
        KernelLike.Capture(root, "victimd", 102, otherCore, "E=" + copy.Replace('/', '!'));
        Assert.That(root.Archives($"victimd~{Hash8(copy)}"), Is.EqualTo(new[] { $"victimd~{Hash8(copy)}.1.102.core.tar.gz" }));
    }

    [Test]
    public void ACrashingWorkerThreadIsFiledUnderTheProcessNotTheThread()
    {
        var crash = Crashes.Make("worker", "mtd");
        using var root = new TempRoot();
        // the kernel's %e is the crashing thread's name
        KernelLike.Capture(root, "mt-io-0", 500, crash.CorePath, $"P={crash.Pid}");
        Assert.That(Directory.GetDirectories(root.CorePath).Select(Path.GetFileName), Is.EqualTo(new[] { $"mtd~{Hash8(Crashes.Crasher)}" }));
        var meta = new ArchiveCheck(Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single())).Metadata;
        Assert.That(meta.ProcessName, Is.EqualTo("mtd"));
        Assert.That(meta.RawName, Is.EqualTo("mt-io-0"), "the thread's name is kept in the metadata");
        Assert.That(meta.Threads, Is.EqualTo(2));
    }

    [Test]
    public void ASystemProgramRunningAsAnotherUidGetsOnlyTheUidSuffix()
    {
        // as the kernel reports a daemon of /usr/sbin that dropped root (here the test program's core with
        // %E saying /usr/sbin/victimd): name@uid, the rule's form for a daemon that drops privileges
        var (evilCore, evilPid) = CrashAs(Crashes.Crasher, 65534, "segv", "victimd");
        using var root = new TempRoot();
        KernelLike.Capture(root, "victimd", 600, evilCore, $"P={evilPid}", "u=65534", "E=!usr!sbin!victimd");
        Assert.That(Directory.GetDirectories(root.CorePath).Select(Path.GetFileName), Is.EqualTo(new[] { "victimd@65534" }));
    }
}
