using System.Net;
using System.Net.Sockets;
using CoreDump.Tests.Uploader;

namespace CoreDump.Tests.Stress;

[Category("Stress")]
public class UploaderStressTests
{
    /// <summary>The uploader against faulty crash databases on 127.0.0.1 and SIGKILLed at random points. Each
    /// attempt meets, in order: a server that resets the connection mid-body, an https:// URL whose server
    /// does not speak TLS, and a crash database scripted with 5xx, 429 + Retry-After, stalls past the
    /// timeout and 200s. After the faults stop, every report is stored exactly once and none is lost.</summary>
    [Test]
    public void FaultyServersAndKillsDeliverEveryReportExactlyOnce()
    {
        int archives = StressReport.Scale(6, 16), rounds = StressReport.Scale(12, 40);
        var rng = new Random(11);
        using var env = new UploaderEnv();
        using var db = new CrashDbServer();
        using var resetter = new RawServer(ResetMidBody);
        using var notTls = new RawServer(AnswerPlainHttp);
        // more than the crash-loop limit's default burst of one daemon: lift it for the capture phase
        env.Root.WriteConfig($"maxcore=20\ncorepath={env.Root.CorePath}\nlogfile={env.Root.LogFile}\nratelimit_burst=0\n");
        var cores = new[] { "segv", "segv2", "abort", "fpe" }.Select(m => Crashes.Cached(m).CorePath).ToArray();
        var paths = new List<string>();
        for (int i = 0; i < archives; i++)
        {
            KernelLike.Capture(env.Root, "crasher", 50_000 + i, cores[i % cores.Length]);
            Assert.That(File.Exists(Path.Combine(env.DaemonDir, $"{Crashes.CrasherDaemon}.{i + 1}.{50_000 + i}.core.tar.gz")), env.Root.Log);
            paths.Add(Path.Combine(env.DaemonDir, $"{Crashes.CrasherDaemon}.{i + 1}.{50_000 + i}.core.tar.gz"));
        }
        env.WriteConfig(UploaderEnv.Server($"http://127.0.0.1:{resetter.Port}/crash", 2) +
                        UploaderEnv.Server($"https://127.0.0.1:{notTls.Port}/crash", 2) + UploaderEnv.Server(db.Url, 1));
        int kills = 0;
        for (int round = 0; round < rounds; round++)
        {
            for (int k = 0; k < 4; k++)
                db.Then(rng.Next(5) switch
                {
                    0 => new CrashDbServer.Answer(500),
                    1 => new CrashDbServer.Answer(503, RetryAfter: "0"),
                    2 => new CrashDbServer.Answer(429, RetryAfter: "1"),
                    3 => new CrashDbServer.Answer(200, Stall: TimeSpan.FromSeconds(2)), // stored, but the answer comes too late
                    _ => new CrashDbServer.Answer(200),
                });
            var p = env.Start("run");
            if (rng.Next(2) == 0)
            {
                Thread.Sleep(rng.Next(0, 1200));
                try { if (!p.HasExited) { p.Kill(); kills++; } } catch (InvalidOperationException) { }
            }
            p.WaitForExit();
            env.Uploader("retry");
        }
        // the faults stop (the two broken servers stay): plain 200s until every archive is through (bounded)
        db.ClearScript();
        Thread.Sleep(2500); // stalled requests from the rounds above finish storing
        for (int i = 0; i < 10 && paths.Any(a => UploaderEnv.State(a) != "submitted"); i++) { env.Uploader("retry"); env.Run(); }

        int lost = paths.Count(a => UploaderEnv.State(a) != "submitted");

        var okKeys = db.Requests.Where(r => r.AnsweredStatus is >= 200 and < 300).Select(r => r.IdempotencyKey).ToList();
        int resent = okKeys.Count - okKeys.Distinct().Count();
        int wrongCount = Math.Abs(db.Stored.Count - archives);
        StressReport.Figure("uploader vs faulty servers + kills", archives, lost, wrongCount, 0,
            $"rounds={rounds} kills={kills} requests={db.Requests.Count} resets={resetter.Connections} tls-failures={notTls.Connections} " +
            $"stored={db.Stored.Count} resent-after-2xx={resent} (the key dropped them)");
        Assert.Multiple(() =>
        {
            Assert.That(lost, Is.Zero, "reports not delivered");
            Assert.That(db.Stored.Count, Is.EqualTo(archives), "each report stored exactly once");
            Assert.That(db.Stored.Values, Has.All.Contains("Signature:"));
            Assert.That(resetter.Connections, Is.GreaterThan(0));
            Assert.That(notTls.Connections, Is.GreaterThan(0));
        });
    }

    private static async Task ResetMidBody(TcpClient c)
    {
        await c.GetStream().ReadAtLeastAsync(new byte[600], 600, throwOnEndOfStream: false);
        c.Client.LingerState = new LingerOption(true, 0); // close with RST
        c.Close();
    }

    private static async Task AnswerPlainHttp(TcpClient c)
    {
        await c.GetStream().WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        c.Close();
    }

    /// <summary>A raw TCP server on 127.0.0.1 that treats each connection with <paramref name="handle"/>.</summary>
    private sealed class RawServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private int _connections;
        public int Port { get; }
        public int Connections => Volatile.Read(ref _connections);

        public RawServer(Func<TcpClient, Task> handle)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    TcpClient c;
                    try { c = await _listener.AcceptTcpClientAsync(); } catch (Exception) { return; }
                    Interlocked.Increment(ref _connections);
                    _ = Task.Run(async () => { try { await handle(c); } catch (Exception) { } });
                }
            });
        }

        public void Dispose() => _listener.Stop();
    }
}
