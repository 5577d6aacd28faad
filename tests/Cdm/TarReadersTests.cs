namespace CoreDump.Tests.Cdm;

/// <summary>An archive the AOT cdm made from a real core is read by every common tar reader.</summary>
public class TarReadersTests
{
    [Test]
    public void GnuBusyboxAndPythonListAndExtractTheSameCore()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot();
        Assert.That(KernelLike.Capture(root, "readers", 9100, crash.CorePath).ExitCode, Is.EqualTo(0), root.Log);
        string archive = Path.Combine(root.DaemonDir(crash.Daemon), root.Archives(crash.Daemon).Single());
        string[] members = ["os-release", $"{crash.Daemon}.1.9100.core", "metadata.json"];

        var gnu = new ArchiveCheck(archive); // GNU tar -tzvf and -xzf
        Assert.That(gnu.Members, Is.EqualTo(members));
        Assert.That(gnu.Listing, Does.Contain("root/root"));
        Assert.That(ArchiveCheck.SameBytes(gnu.CoreFile, crash.CorePath), "GNU tar extracts the core byte for byte");

        var bbList = Proc.Run("busybox", ["tar", "-tzvf", archive]);
        Assert.That(bbList.ExitCode, Is.EqualTo(0), "busybox tar: " + bbList.Stderr);
        Assert.That(bbList.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[^1]), Is.EqualTo(members));
        var bbDir = Directory.CreateTempSubdirectory("cdm-bb-").FullName;
        var bbX = Proc.Run("busybox", ["tar", "-xzf", archive, "-C", bbDir]);
        Assert.That(bbX.ExitCode, Is.EqualTo(0), "busybox tar -x: " + bbX.Stderr);
        Assert.That(ArchiveCheck.SameBytes(Path.Combine(bbDir, members[1]), crash.CorePath), "busybox extracts the core byte for byte");

        var pyDir = Directory.CreateTempSubdirectory("cdm-py-").FullName;
        var py = Proc.Run("python3", ["-c",
            "import sys, tarfile\nt = tarfile.open(sys.argv[1], 'r:gz')\nfor m in t: print(m.name, m.size, m.uname, m.gname, oct(m.mode))\n" +
            "t.extractall(sys.argv[2], filter='data') if hasattr(tarfile, 'data_filter') else t.extractall(sys.argv[2])", archive, pyDir]);
        Assert.That(py.ExitCode, Is.EqualTo(0), "python tarfile: " + py.Stderr);
        var lines = py.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Select(l => l.Split(' ')[0]), Is.EqualTo(members));
        Assert.That(lines[1], Does.Contain($" {new FileInfo(crash.CorePath).Length} root root 0o600"));
        Assert.That(ArchiveCheck.SameBytes(Path.Combine(pyDir, members[1]), crash.CorePath), "tarfile extracts the core byte for byte");
        Directory.Delete(bbDir, true);
        Directory.Delete(pyDir, true);
    }
}
