using System.Diagnostics;
using Answer = CoreDump.Tests.Uploader.CrashDbServer.Answer;

namespace CoreDump.Tests.Uploader;

/// <summary>SIGKILL of the real uploader at chosen moments; the next run finishes the work.</summary>
[TestFixture]
public class KillTests
{
    [Test]
    public void Killed_while_the_server_holds_a_request_nothing_lost_nothing_stored_twice()
    {
        using var server = new CrashDbServer();
        // the server accepts the first report, then stalls before answering: the uploader is killed meanwhile
        server.Then(new Answer(200, Stall: TimeSpan.FromSeconds(60), StoreBeforeStall: true));
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url, timeoutSeconds: 120));
        string[] archives = [env.Capture("segv", 1_700_000_000), env.Capture("segv2", 1_700_000_100), env.Capture("fpe", 1_700_000_200)];

        using (var p = env.Start("run"))
        {
            Assert.That(server.FirstRequest.Task.Wait(TimeSpan.FromSeconds(90)), Is.True, "the server got a request");
            p.Kill(); // SIGKILL
            p.WaitForExit();
        }
        Assert.That(UploaderEnv.State(archives[0]), Is.EqualTo("processed"), "killed before it heard the answer");

        env.Run();
        Assert.That(archives.Select(UploaderEnv.State), Is.All.EqualTo("submitted"));
        var ids = archives.Select(a => UploaderEnv.Marker(a).ReportId).ToArray();
        Assert.That(server.Stored.Keys, Is.EquivalentTo(ids), "every report stored exactly once");
        Assert.That(server.Keys.Count(k => k == ids[0]), Is.EqualTo(2), "the interrupted one was sent again with the same key");
        Assert.That(Directory.GetFiles(env.DaemonDir, ".*").Select(Path.GetFileName).Where(n => n!.EndsWith(".w") || n.EndsWith(".tmp")), Is.Empty, "no temporaries left");
    }

    [Test]
    public void Killed_while_making_reports_the_next_run_finishes()
    {
        using var env = new UploaderEnv();
        string[] archives = [env.Capture("segv", 1_700_000_000), env.Capture("segv2", 1_700_000_100),
            env.Capture("fpe", 1_700_000_200), env.Capture("abort", 1_700_000_300)];

        using (var p = env.Start("run"))
        {
            // kill as soon as the first report exists (gdb is then busy with the next core, or it is finishing)
            var sw = Stopwatch.StartNew();
            while (!p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(90) && Directory.GetFiles(env.DaemonDir, "*.report").Length == 0) Thread.Sleep(5);
            if (!p.HasExited) p.Kill();
            p.WaitForExit();
        }

        var r = env.Run();
        Assert.That(archives.Select(UploaderEnv.State), Is.All.EqualTo("submitted"), r.Stdout);
        var ids = archives.Select(a => UploaderEnv.Marker(a).ReportId + ".report").Order().ToArray();
        Assert.That(Directory.GetFiles(env.Outbox).Select(Path.GetFileName).Order(), Is.EqualTo(ids), "one outbox file per report");
        foreach (var a in archives) Assert.That(UploaderEnv.Report(a), Does.Contain("Signature: "));
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(env.StateDir, "work")).Select(Path.GetFileName), Is.EqualTo(new[] { ".cdm-uploader-work" }),
            "extracted cores of the killed run removed (the sentinel stays)");
        Assert.That(Directory.GetFiles(env.DaemonDir, ".*").Select(Path.GetFileName).Where(n => n!.EndsWith(".w") || n.EndsWith(".tmp")), Is.Empty, "no temporaries left");
    }
}
