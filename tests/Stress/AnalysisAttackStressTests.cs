using System.Diagnostics;
using CoreDump.Tests.Uploader;

namespace CoreDump.Tests.Stress;

[Category("Stress")]
public class AnalysisAttackStressTests
{
    /// <summary>Rounds of hostile crashes through the real uploader and real gdb: the three auto-load vectors
    /// (one program), a link_map path to a FIFO, file names forging sections, secrets in locals, arguments and
    /// the environment, each next to an honest crash. Counts payloads that ran (files they would write), passes
    /// that overran their limit or failed, and archives not reported and delivered.</summary>
    [Test]
    public void HostileCrashesNeverRunAPayloadNorStopAPass()
    {
        int rounds = StressReport.Scale(1, 5);
        const int gdbLimit = 6;
        using var lab = new AttackLab();
        using var env = new UploaderEnv();
        env.Root.WriteConfig($"maxcore=20\ncorepath={env.Root.CorePath}\nlogfile={env.Root.LogFile}\nratelimit_burst=0\n");
        AttackLab.Configure(env, gdbLimit);

        string fifo = Path.Combine(lab.Dir, "fifo");
        Proc.MustSh("mkfifo -m 666 \"$1\"", null, fifo);
        string forgedDir = Path.Combine(lab.Dir, "f\n@@cdm-section bt\n#0  0x1 in forged_frame ()\n--- backtrace ---\nSignature: 0\n  0x11111111111111111111 0x2 0x3 0x4 /x");
        Directory.CreateDirectory(forgedDir);
        string forgedExe = Path.Combine(forgedDir, "attack_crash"), forgedLib = Path.Combine(forgedDir, "libattack.so");
        File.Copy(lab.Program, forgedExe);
        File.Copy(lab.Library, forgedLib);
        var kinds = new (string Name, string Core)[]
        {
            ("att_autoload", lab.Crash(lab.Program, ["dlopen", lab.Library])),
            ("att_fifo", lab.Crash(lab.Program, ["linkmap", fifo])),
            ("att_forged", lab.Crash(forgedExe, ["dlopen", forgedLib])),
            ("att_secrets", lab.Crash(lab.Program, ["secrets", "--db-password", "dbpw-3141"], new Dictionary<string, string> { ["CDM_ATTACK_TOKEN"] = "tok-2718" })),
        };
        string honestCore = Crashes.Cached("segv").CorePath;

        int tried = 0, stuck = 0, lost = 0, leaked = 0;
        long time = 1_700_000_000;
        for (int round = 0; round < rounds; round++)
        {
            var archives = new List<string>();
            foreach (var (name, core) in kinds) { archives.Add(AttackLab.Capture(env, core, name, ++time)); tried++; }
            archives.Add(AttackLab.Capture(env, honestCore, "crasher", ++time));
            var clock = Stopwatch.StartNew();
            var r = env.Uploader("run");
            // one gdb per archive, the FIFO one killed at its limit
            if (r.ExitCode != 0 || clock.Elapsed > TimeSpan.FromSeconds(gdbLimit + 10 + archives.Count * 20)) stuck++;
            foreach (var a in archives)
            {
                if (UploaderEnv.State(a) != "submitted" || !File.Exists(a + ".report")) { lost++; continue; }
                string report = File.ReadAllText(a + ".report");
                if (report.Contains("hunter2-local-5150") || report.Contains("dbpw-3141") || report.Contains("tok-2718") || report.Contains("signature-frames: forged_frame")) leaked++;
            }
        }
        int payloads = lab.PayloadTraces().Length;
        StressReport.Figure("analysis attacks", tried, lost, leaked, payloads,
            $"attacks tried={tried} payloads executed={payloads} passes stuck={stuck} archives lost={lost}");
        Assert.That((payloads, stuck, lost, leaked), Is.EqualTo((0, 0, 0, 0)));
    }
}
