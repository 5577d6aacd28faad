using System.Security.Cryptography;
using System.Text;
using CoreDump.Cdm.Intake;

namespace CoreDump.Tests.Cdm;

/// <summary>The naming rule P + U + H as a pure function, and its inputs chosen from what cannot be forged.</summary>
public class DaemonIdentityTests
{
    private static string Hash8(string s) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(s)), 0, 4).ToLowerInvariant();
    private static string Dir(string name, int? uid, string? exe, bool foreign = false) =>
        DaemonIdentity.DirectoryName(Encoding.UTF8.GetBytes(name), uid, exe, foreign);

    [Test]
    public void ContractExamples()
    {
        Assert.That(Dir("sshd", 0, "/usr/sbin/sshd"), Is.EqualTo("sshd"), "the plain naming for a system daemon");
        Assert.That(Dir("sshd", 65534, "/tmp/x/evil"), Is.EqualTo("sshd@65534~" + Hash8("/tmp/x/evil")));
        Assert.That(Dir("named", 1000, "/usr/sbin/named"), Is.EqualTo("named@1000"), "a daemon that drops to uid 1000");
        Assert.That(Dir("mtd", 0, "/usr/bin/mtd"), Is.EqualTo("mtd"));
    }

    [TestCase("/usr/bin/x", true)]
    [TestCase("/usr/sbin/x", true)]
    [TestCase("/bin/x", true)]
    [TestCase("/sbin/x", true)]
    [TestCase("/usr/local/bin/x", true)]
    [TestCase("/usr/local/sbin/x", true)]
    [TestCase("/usr/lib/systemd/x", true)]
    [TestCase("/usr/lib/x86_64-linux-gnu/foo/x", true)]
    [TestCase("/usr/libexec/x", true)]
    [TestCase("/usr/lib64/x", true)]
    [TestCase("/lib/systemd/x", true)]
    [TestCase("/lib64/x", true)]
    [TestCase("/usr/bin/sub/x", false)]
    [TestCase("/usr/local/lib/x", false)]
    [TestCase("/usr/lib-evil/x", false)]
    [TestCase("/tmp/x", false)]
    [TestCase("/home/u/bin/x", false)]
    [TestCase("/usr/bin/../../tmp/x", false)]
    [TestCase("/usr/bin/./x", false)]
    [TestCase("/usr//bin/x", false)]
    [TestCase("usr/bin/x", false)]
    [TestCase("/usr/bin/", false)]
    [TestCase("", false)]
    public void SystemDirectories(string path, bool system) => Assert.That(DaemonIdentity.IsSystemPath(path), Is.EqualTo(system));

    [Test]
    public void TheHashIsLeftOutOnlyForASystemProgramNamedAfterItsBasenameInTheInitialNamespaces()
    {
        Assert.That(Dir("python3", 0, "/usr/bin/python3"), Is.EqualTo("python3"));
        Assert.That(Dir("sshd", 0, "/usr/bin/python3"), Is.EqualTo("sshd~" + Hash8("/usr/bin/python3")), "renamed: hashed");
        Assert.That(Dir("sshd", 0, "/usr/sbin/sshd", foreign: true), Is.EqualTo("sshd~" + Convert.ToHexString(SHA256.HashData(
            [.. Encoding.UTF8.GetBytes("/usr/sbin/sshd"), .. "\0foreign-namespace"u8.ToArray()]), 0, 4).ToLowerInvariant()), "container's /usr/sbin is not the host's");
        Assert.That(Dir("sshd", 0, null), Is.EqualTo("sshd~" + Hash8("")), "unknown executable");
        Assert.That(Dir("systemd-journal", 0, "/usr/lib/systemd/systemd-journald"), Is.EqualTo("systemd-journal"), "comm is the first 15 bytes");
        Assert.That(Dir("systemd-journald", 0, "/usr/lib/systemd/systemd-journald"), Does.StartWith("systemd-journald~"), "a comm cannot be 16 bytes");
        Assert.That(Dir("sshd", 0, "/usr/sbin/sshd (deleted)"), Is.EqualTo("sshd"), "an upgraded binary is still the system's");
        Assert.That(Dir("x", 0, "/tmp/x (deleted)"), Is.EqualTo("x~" + Hash8("/tmp/x (deleted)")));
        Assert.That(Dir("", 0, null), Is.EqualTo(DaemonName.Placeholder + "~" + Hash8("")));
    }

    [Test]
    public void UidAndExecutableAlwaysSeparate()
    {
        var dirs = new HashSet<string>();
        foreach (int? uid in new int?[] { 0, 1, 1000, 65534, -2 })
            foreach (var exe in new[] { "/usr/sbin/sshd", "/tmp/sshd", "/tmp/x/evil", "/home/a/sshd", "/usr/bin/python3" })
                foreach (var foreign in new[] { false, true })
                    Assert.That(dirs.Add(Dir("sshd", uid, exe, foreign)), $"{uid} {exe} {foreign}");
        Assert.That(Dir("sshd", -2, "/usr/sbin/sshd"), Is.EqualTo("sshd@4294967294"), "uids are unsigned");
    }

    [TestCase("sshd@65534")]
    [TestCase("sshd~12345678")]
    [TestCase("x@0~00000000")]
    public void SuffixesCannotBeImitatedByTheProcessName(string name)
    {
        // a root process named like another identity's directory does not land in it
        string d = Dir(name, 0, "/usr/sbin/" + name);
        Assert.That(d, Is.Not.EqualTo(name));
        Assert.That(d, Does.Not.Contain("@").And.Not.Contain("~"));
        Assert.That(DaemonName.LooksSafe(Dir(name, 65534, "/tmp/a")), Is.True);
    }

    private static Invocation Inv(string e, params string[] opts) =>
        InvocationParser.Parse([Encoding.UTF8.GetBytes(e), "100"u8.ToArray(), .. opts.Select(Encoding.UTF8.GetBytes)], 0);

    private static ElfCoreInfo Notes(string name, int uid, string exe, int pid = 42) => new()
    {
        IsElf = true, IsCore = true, ProcessName = name, ProcessNameBytes = Encoding.UTF8.GetBytes(name), Uid = uid, Pid = pid,
        ExecutablePath = exe, ExecutablePathBytes = Encoding.UTF8.GetBytes(exe),
    };

    [Test]
    public void TheCoresNotesNotTheThreadsNameChooseTheDirectory()
    {
        var id = CrashIdentity.Resolve(Inv("mt-io-0"), Notes("mtd", 0, "/usr/bin/mtd"), null);
        Assert.That(id.Directory, Is.EqualTo("mtd"));
        Assert.That(id.Verified, Is.True);
        Assert.That(id.Notes, Is.Empty);
        // %e claims sshd; the notes say otherwise
        Assert.That(CrashIdentity.Resolve(Inv("sshd"), Notes("evil", 65534, "/tmp/evil"), null).Directory, Is.EqualTo("evil@65534~" + Hash8("/tmp/evil")));
    }

    [Test]
    public void TheKernelsArgumentsWinOverTheNotesForUidAndExecutable()
    {
        // in a user namespace pr_uid is the namespace's (0); %u is the host's
        var id = CrashIdentity.Resolve(Inv("app", "u=100000"), Notes("app", 0, "/usr/bin/app"), null);
        Assert.That(id.Uid, Is.EqualTo(100000));
        Assert.That(id.Directory, Is.EqualTo("app@100000"));
        Assert.That(id.Notes, Has.Some.Contains("uid 0 in the process's user namespace is uid 100000 on the host"));
        // a process can map another file at AT_ENTRY; %E is mm->exe_file
        var e = CrashIdentity.Resolve(Inv("sshd", "E=!tmp!evil"), Notes("sshd", 0, "/usr/sbin/sshd"), null);
        Assert.That(e.ExecutablePath, Is.EqualTo("/tmp/evil"));
        Assert.That(e.Directory, Is.EqualTo("sshd~" + Hash8("/tmp/evil")));
    }

    [Test]
    public void NamespacesFromPidsOrTheMountNamespace()
    {
        var pidNs = CrashIdentity.Resolve(Inv("sshd", "P=5000", "p=7"), Notes("sshd", 0, "/usr/sbin/sshd", pid: 7), null);
        Assert.That(pidNs.ForeignNamespace, Is.True);
        Assert.That((pidNs.HostPid, pidNs.NamespacePid), Is.EqualTo((5000, 7)));
        Assert.That(pidNs.Directory, Does.StartWith("sshd~"));
        var notesPid = CrashIdentity.Resolve(Inv("sshd", "P=5000"), Notes("sshd", 0, "/usr/sbin/sshd", pid: 7), null);
        Assert.That(notesPid.ForeignNamespace, Is.True, "the notes' pid is the namespace's");
        var mnt = CrashIdentity.Resolve(Inv("sshd", "P=5000", "p=5000"), Notes("sshd", 0, "/usr/sbin/sshd", pid: 5000), otherMountNamespace: true);
        Assert.That(mnt.ForeignNamespace, Is.True);
        var home = CrashIdentity.Resolve(Inv("sshd", "P=5000", "p=5000"), Notes("sshd", 0, "/usr/sbin/sshd", pid: 5000), otherMountNamespace: false);
        Assert.That((home.ForeignNamespace, home.Directory), Is.EqualTo((false, "sshd")));
    }

    [Test]
    public void WithoutNotesTheArgumentsAreUsedAndTheIdentityIsUnverified()
    {
        var id = CrashIdentity.Resolve(Inv("hand"), new ElfCoreInfo(), null);
        Assert.That(id.Verified, Is.False);
        Assert.That(id.Directory, Is.EqualTo("hand~" + Hash8("")));
        Assert.That(id.Notes, Has.Some.StartsWith(CrashIdentity.UnverifiedWarning));
        var withArgs = CrashIdentity.Resolve(Inv("sshd", "u=0", "E=!usr!sbin!sshd"), new ElfCoreInfo(), null);
        Assert.That(withArgs.Directory, Is.EqualTo("sshd"), "u= and E= are the kernel's");
        Assert.That(CrashIdentity.Resolve(Inv("x", "u=1000"), new ElfCoreInfo(), null).Directory, Is.EqualTo("x@1000~" + Hash8("")));
    }
}
