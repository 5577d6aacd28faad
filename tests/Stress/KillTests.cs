using System.Diagnostics;

namespace CoreDump.Tests.Stress;

[Category("Stress")]
public class KillTests
{
    /// <summary>cdm killed with SIGKILL at random points of a capture: no corrupt archive under a final name,
    /// no marker without its archive, the previous slot intact, leftovers cleaned by the next run.</summary>
    [Test]
    public void SigkillAtRandomPointsLosesNothingAlreadyStored()
    {
        int kills = StressReport.Scale(60, 220);
        var crash = Crashes.Cached("threads"); // ~25 MB: a capture long enough to be hit anywhere
        string d = crash.Daemon;
        var core = File.ReadAllBytes(crash.CorePath);
        using var root = new TempRoot(maxcore: 1, extraConfig: "ratelimit_burst=0\n");
        var sw = Stopwatch.StartNew();
        KernelLike.Capture(root, "killme", 1, crash.CorePath);
        double typicalMs = Math.Max(20, sw.Elapsed.TotalMilliseconds);
        var rng = new Random(2024);
        int corrupt = 0, orphanMarkers = 0, lost = 0, replaced = 0, leftovers = 0;
        for (int i = 0; i < kills; i++)
        {
            var p = KernelLike.Start(root, "killme", 100 + i);
            var feed = Task.Run(() =>
            {
                try { p.StandardInput.BaseStream.Write(core); p.StandardInput.Close(); } catch (IOException) { }
            });
            Thread.Sleep(TimeSpan.FromMilliseconds(rng.NextDouble() * typicalMs));
            try { p.Kill(); } catch (InvalidOperationException) { }
            p.WaitForExit();
            feed.Wait();
            var dir = root.DaemonDir(d);
            var names = Directory.GetFiles(dir).Select(Path.GetFileName).OfType<string>().ToList();
            var archives = names.Where(n => n.EndsWith(".core.tar.gz")).ToList();
            if (archives.Count == 0) lost++;
            foreach (var a in archives)
                if (Proc.Run("gzip", ["-t", Path.Combine(dir, a)]).ExitCode != 0) corrupt++;
            foreach (var m in names.Where(n => n.EndsWith(".pending")))
                if (!names.Contains(m[..^".pending".Length])) orphanMarkers++;
            if (archives.Contains($"{d}.1.{100 + i}.core.tar.gz")) replaced++;
            leftovers += names.Count(n => n.EndsWith(".tmp"));
        }
        // the next ordinary capture cleans what the killed ones left
        KernelLike.Capture(root, "killme", 100_000, crash.CorePath);
        var after = Directory.GetFiles(root.DaemonDir(d)).Select(Path.GetFileName).ToList();
        int remaining = after.Count(n => n!.EndsWith(".tmp"));
        var final = new ArchiveCheck(Path.Combine(root.DaemonDir(d), $"{d}.1.100000.core.tar.gz"));
        Assert.That(ArchiveCheck.SameBytes(final.CoreFile, crash.CorePath));
        StressReport.Figure("sigkill during capture", kills, lost, corrupt + orphanMarkers, 0,
            $"published-before-kill={replaced} leftover-temps-seen={leftovers} leftover-temps-after-next-run={remaining}");
        Assert.Multiple(() =>
        {
            Assert.That(corrupt, Is.Zero, "corrupt archives under a final name");
            Assert.That(orphanMarkers, Is.Zero, "markers without their archive");
            Assert.That(lost, Is.Zero, "a kill cost the archive already stored");
            Assert.That(remaining, Is.Zero, "leftovers cleaned by the next run");
        });
    }
}
