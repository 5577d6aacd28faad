namespace CoreDump.Tests.Uploader;

/// <summary>`analyze` (reports only, no network), `deliver` (existing reports only, never a core or gdb) and
/// `run` (both): one lock, one exit-code convention.</summary>
[TestFixture]
public class VerbTests
{
    [Test]
    public async Task Analyze_sends_nothing_and_deliver_never_runs_gdb()
    {
        using var server = new CrashDbServer();
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url));
        string a = env.Capture("segv", 1_700_000_000);

        var analyze = env.Uploader("analyze");
        Assert.That(analyze.ExitCode, Is.EqualTo(0), analyze.Stderr);
        Assert.That(analyze.Stdout, Does.Contain("uploader analyze: processed 1, submitted 0, failed 0, rejected 0, waiting 1"));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("processed"));
        Assert.That(UploaderEnv.Report(a), Does.Contain("crash_null_write"));
        await Task.Delay(200);
        Assert.That(server.Requests, Is.Empty, "analysis opened no connection");

        // a new crash and a gdb that cannot run: deliver must neither touch the new core nor need gdb
        string b = env.Capture("fpe", 1_700_000_100);
        env.WriteConfig(UploaderEnv.Server(server.Url).Replace("[[server]]", "gdb = \"/nonexistent/gdb\"\nwork_dir = \"" + Path.Combine(env.Root.Dir, "never") + "\"\n[[server]]"));
        var deliver = env.Uploader("deliver");
        Assert.That(deliver.ExitCode, Is.EqualTo(0), deliver.Stderr);
        Assert.That(deliver.Stdout, Does.Contain("uploader deliver: processed 0, submitted 1, failed 0, rejected 0, waiting 1"));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(server.Stored.Keys, Is.EqualTo(new[] { UploaderEnv.Marker(a).ReportId }));
        Assert.That(UploaderEnv.State(b), Is.EqualTo("pending"));
        Assert.That(UploaderEnv.Marker(b).Attempts, Is.EqualTo(0), "deliver did not try to analyse it");
        Assert.That(Directory.Exists(Path.Combine(env.Root.Dir, "never")), Is.False, "deliver never creates or opens work_dir");
        Assert.That(File.ReadAllText(env.LogFile), Does.Contain("uploader deliver: processed 0, submitted 1"));

        env.WriteConfig(UploaderEnv.Server(server.Url));
        var run = env.Uploader("run");
        Assert.That(run.Stdout, Does.Contain("uploader run: processed 1, submitted 1"));
        Assert.That(UploaderEnv.State(b), Is.EqualTo("submitted"));
    }

    [Test]
    public void Every_pass_verb_waits_for_the_same_lock()
    {
        using var env = new UploaderEnv();
        Directory.CreateDirectory(env.StateDir);
        string ready = Path.Combine(env.Root.Dir, "locked");
        var psi = new System.Diagnostics.ProcessStartInfo("flock") { UseShellExecute = false };
        foreach (var x in new[] { Path.Combine(env.StateDir, "uploader.lock"), "-c", $"touch '{ready}'; exec sleep 30" }) psi.ArgumentList.Add(x);
        using var holder = System.Diagnostics.Process.Start(psi)!;
        try
        {
            for (int i = 0; i < 400 && !File.Exists(ready); i++) Thread.Sleep(25);
            foreach (var verb in new[] { "run", "analyze", "deliver", "retry" })
            {
                var r = env.Uploader(verb);
                Assert.That(r.ExitCode, Is.EqualTo(75), verb);
                Assert.That(r.Stderr, Does.Contain("another uploader run"), verb);
            }
        }
        finally { holder.Kill(entireProcessTree: true); }
    }
}
