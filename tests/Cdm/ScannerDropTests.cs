using CoreDump.Uploader.Markers;

namespace CoreDump.Tests.Cdm;

/// <summary>The uploader's scanner lists the drop records cdm writes as archives of their directory.</summary>
public class ScannerDropTests
{
    [Test]
    public void ScannerListsDropRecordsBesideCoreArchives()
    {
        var crash = Crashes.Cached("segv");
        using var root = new TempRoot(maxcore: 1, extraConfig: "ratelimit_burst=0\n");
        KernelLike.Capture(root, "crasher", 10, crash.CorePath);
        root.WriteConfig($"maxcore=1\ncorepath={root.CorePath}\nlogfile={root.LogFile}\nexclude=uid:0\n");
        KernelLike.Capture(root, "crasher", 11, crash.CorePath, "u=0");
        var problems = new List<string>();
        var found = ArchiveScanner.Scan(root.CorePath, problems);
        Assert.That(problems, Is.Empty);
        Assert.That(found.Select(a => (a.Daemon, a.FileName, a.Name.Drop, a.State.ToString())), Is.EquivalentTo(new[]
        {
            (crash.Daemon, $"{crash.Daemon}.1.10.core.tar.gz", false, "Pending"),
            (crash.Daemon, $"{crash.Daemon}.1.11.drop.tar.gz", true, "Pending"),
        }));
    }
}
