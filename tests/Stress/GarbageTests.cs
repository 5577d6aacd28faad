namespace CoreDump.Tests.Stress;

[Category("Stress")]
public class GarbageTests
{
    /// <summary>Random input (plain garbage, ELF headers with random fields, cut real cores) under random
    /// config files: every capture is kept or refused with a logged reason; cdm never crashes.</summary>
    [Test]
    public void GarbageInputAndRandomConfigsNeverCrashCdm()
    {
        int runs = StressReport.Scale(60, 600);
        var rng = new Random(7);
        var real = File.ReadAllBytes(Crashes.Cached("segv").CorePath);
        string[] keys = ["maxcore", "corepath", "logfile", "compression", "maxcoresize", "keepfree", "maxuse", "ratelimit_burst", "ratelimit_interval", "bogus", ""];
        string[] values = ["0", "1", "3", "-1", "x", "", "\"2\"", "99999999999999999999", "10%", "5M", "/", "relative", "'", "=", "0x10", "1e3"];
        int crashes = 0, unexplained = 0, kept = 0, refused = 0;
        using var root = new TempRoot();
        var input = Path.Combine(root.Dir, "input");
        for (int i = 0; i < runs; i++)
        {
            byte[] data = (i % 3) switch
            {
                0 => RandomBytes(rng, rng.Next(0, 300_000)),
                1 => ElfWithRandomHeaders(rng),
                _ => real[..rng.Next(0, real.Length)],
            };
            File.WriteAllBytes(input, data);
            var conf = string.Join("\n", Enumerable.Range(0, rng.Next(0, 8)).Select(_ => rng.Next(5) == 0
                ? new string(RandomBytes(rng, rng.Next(0, 40)).Select(b => (char)b).ToArray())
                : $"{keys[rng.Next(keys.Length)]}{(rng.Next(2) == 0 ? " = " : "=")}{values[rng.Next(values.Length)]}"));
            // corepath and logfile stay inside the temp root so that a random value can't leave it
            root.WriteConfig(conf.Replace("corepath", "ignored_corepath").Replace("logfile", "ignored_logfile") +
                $"\ncorepath={root.CorePath}\nlogfile={root.LogFile}\nratelimit_burst=0\nkeepfree=0\n");
            string logBefore = root.Log;
            var r = KernelLike.Capture(root, "garbage", 9000 + i, input);
            string logged = root.Log[logBefore.Length..];
            if (r.ExitCode is not (0 or 1)) crashes++;
            if (logged.Contains("outcome=stored")) kept++;
            else if (logged.Contains("outcome=")) refused++;
            else unexplained++;
        }
        StressReport.Figure("garbage input, random configs", runs, unexplained, 0, 0, $"cdm-crashes={crashes} kept={kept} refused-with-reason={refused}");
        Assert.Multiple(() =>
        {
            Assert.That(crashes, Is.Zero, "cdm exited abnormally");
            Assert.That(unexplained, Is.Zero, "a capture neither kept nor refused with a reason");
        });
    }

    private static byte[] RandomBytes(Random rng, int n) { var b = new byte[n]; rng.NextBytes(b); return b; }

    private static byte[] ElfWithRandomHeaders(Random rng)
    {
        var b = RandomBytes(rng, rng.Next(64, 20_000));
        new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0 }.CopyTo(b, 0);
        b[16] = 4; b[17] = 0; // ET_CORE
        BitConverter.GetBytes((ulong)64).CopyTo(b, 0x20);
        BitConverter.GetBytes((ushort)56).CopyTo(b, 0x36);
        BitConverter.GetBytes((ushort)rng.Next(0, 300)).CopyTo(b, 0x38);
        return b;
    }
}
