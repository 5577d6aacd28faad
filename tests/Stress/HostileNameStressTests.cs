using CoreDump.Cdm.Intake;

namespace CoreDump.Tests.Stress;

[Category("Stress")]
public class HostileNameStressTests
{
    /// <summary>Random names of every byte value (no NUL: argv cannot carry it), lengths 0–15, and
    /// ./../! forms, each captured by the real binary: nothing outside corepath, no two names in one directory.</summary>
    [Test]
    public void RandomHostileNamesThroughTheBinary()
    {
        int count = StressReport.Scale(400, 10_000);
        var rng = new Random(99);
        var names = new HashSet<string>();
        var list = new List<byte[]>();
        while (list.Count < count)
        {
            byte[] raw = rng.Next(8) == 0
                ? Enumerable.Range(0, rng.Next(0, 8)).Select(_ => "./!"u8[rng.Next(3)]).ToArray()
                : Enumerable.Range(0, rng.Next(0, 16)).Select(_ => (byte)rng.Next(1, 256)).ToArray();
            if (names.Add(Convert.ToHexString(raw))) list.Add(raw);
        }
        using var root = new TempRoot(maxcore: 1);
        var empty = Path.Combine(root.Dir, "empty");
        File.WriteAllBytes(empty, []);
        Parallel.ForEach(list, new ParallelOptions { MaxDegreeOfParallelism = 2 }, raw => KernelLike.Capture(root, raw, empty, "5"));

        var dirs = Directory.GetDirectories(root.CorePath).Select(Path.GetFileName).OfType<string>().ToList();
        // no ELF notes: the directory is the escaped %e plus the hash of the unknown executable
        string unverified = "~" + DaemonIdentity.Hash("", false);
        var recovered = dirs.Select(d => d.EndsWith(unverified) && DaemonName.FromSafe(d[..^unverified.Length]) is { } b
            ? Convert.ToHexString(b) : "?" + d).ToHashSet();
        int collisions = list.Count - dirs.Count;
        int escaped = Directory.GetFileSystemEntries(root.Dir).Length - 5; // core, core_file.conf, log, os-release, empty
        escaped += dirs.Count(d => !DaemonName.LooksSafe(d));
        escaped += Directory.GetFileSystemEntries(root.CorePath, "*", SearchOption.AllDirectories).Count(p =>
            Path.GetRelativePath(root.CorePath, p).Split('/').Length > 2);
        int lost = list.Count(raw => !recovered.Contains(Convert.ToHexString(raw)));
        int archives = dirs.Count(d => Directory.GetFiles(Path.Combine(root.CorePath, d), "*.core.tar.gz").Length == 1);
        StressReport.Figure("random hostile names", list.Count, lost, 0, escaped, $"collisions={collisions} directories={dirs.Count} archives={archives}");
        Assert.Multiple(() =>
        {
            Assert.That(escaped, Is.Zero, "paths outside corepath or deeper than one level");
            Assert.That(collisions, Is.Zero, "distinct names sharing a directory");
            Assert.That(lost, Is.Zero, "names whose directory does not give back their bytes");
            Assert.That(archives, Is.EqualTo(list.Count));
        });
    }
}
