namespace CoreDump.Tests.Stress;

[Category("Stress")]
public class ConcurrencyTests
{
    /// <summary>16 captures at once across 4 daemons (maxcore=2): per daemon slots 1 and 2, the latest crash kept.</summary>
    [Test]
    public void SixteenConcurrentCapturesAcrossDaemons()
    {
        int rounds = StressReport.Scale(2, 10);
        // four daemons: four programs' identities (the directory comes from each core's own notes)
        var crashes = Enumerable.Range(0, 4).Select(d => Crashes.Make("segv", $"d{d}")).ToArray();
        var cores = crashes.Select(c => File.ReadAllBytes(c.CorePath)).ToArray();
        int tried = 0, lost = 0, corrupt = 0, ruleBroken = 0;
        for (int round = 0; round < rounds; round++)
        {
            using var root = new TempRoot(maxcore: 2, extraConfig: "ratelimit_burst=0\n");
            var procs = new List<(string Daemon, long Time, System.Diagnostics.Process P)>();
            for (int d = 0; d < 4; d++)
                for (int k = 0; k < 4; k++)
                    procs.Add((crashes[d].Daemon, 1000 + k, KernelLike.Start(root, $"d{d}", 1000 + k)));
            Parallel.ForEach(procs, x =>
            {
                var s = x.P.StandardInput.BaseStream;
                var core = cores[Array.FindIndex(crashes, c => c.Daemon == x.Daemon)];
                for (int off = 0; off < core.Length; off += 8192) s.Write(core, off, Math.Min(8192, core.Length - off));
                x.P.StandardInput.Close();
            });
            foreach (var x in procs) x.P.WaitForExit();
            tried += procs.Count;
            for (int d = 0; d < 4; d++)
            {
                var archives = root.Archives(crashes[d].Daemon);
                if (archives.Length != 2) lost++;
                if (!archives.Select(a => a.Split('.')[1]).SequenceEqual(["1", "2"]) || !archives.Any(a => a.Contains(".1003."))) ruleBroken++;
                foreach (var a in archives)
                {
                    var file = Path.Combine(root.DaemonDir(crashes[d].Daemon), a);
                    if (Proc.Run("gzip", ["-t", file]).ExitCode != 0) { corrupt++; continue; }
                    if (!ArchiveCheck.SameBytes(new ArchiveCheck(file).CoreFile, crashes[d].CorePath)) corrupt++;
                }
            }
        }
        StressReport.Figure("16 concurrent captures", tried, lost, corrupt, 0, $"slot-rule-broken={ruleBroken}");
        Assert.Multiple(() =>
        {
            Assert.That(lost, Is.Zero);
            Assert.That(corrupt, Is.Zero);
            Assert.That(ruleBroken, Is.Zero);
        });
    }
}
