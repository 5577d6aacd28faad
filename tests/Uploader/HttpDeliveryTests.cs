using CoreDump.Uploader.Markers;
using Answer = CoreDump.Tests.Uploader.CrashDbServer.Answer;

namespace CoreDump.Tests.Uploader;

/// <summary>The real uploader against a real HTTP crash database on 127.0.0.1.</summary>
[TestFixture]
public class HttpDeliveryTests
{

    [Test]
    public void Report_arrives_once_with_its_idempotency_key()
    {
        using var server = new CrashDbServer();
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url, more: "auth_header = \"Authorization: Bearer t0ken\"\nupload_archive = true"));
        string a = env.Capture("segv", 1_700_000_000);
        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("processed 1, submitted 1, failed 0, rejected 0"));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        var marker = UploaderEnv.Marker(a);
        var req = server.Requests.Single();
        Assert.That(req.IdempotencyKey, Is.EqualTo(marker.ReportId));
        Assert.That(req.ContentType, Does.StartWith("multipart/form-data"));
        Assert.That(req.Body, Does.Contain("name=\"crash\"").And.Contain("crash_null_write").And.Contain("Signature: " + marker.Signature));
        Assert.That(req.Body, Does.Contain("name=\"archive\"").And.Contain($"filename=\"{Path.GetFileName(a)}\""));
        Assert.That(req.Authorization, Is.EqualTo("Bearer t0ken"));
        Assert.That(marker.DeliveredTo, Is.EqualTo(server.Url));

        env.Run();
        Assert.That(server.Requests, Has.Count.EqualTo(1), "a submitted report is not sent again");
    }

    [Test]
    public void Server_error_waits_for_a_later_run_with_backoff()
    {
        using var server = new CrashDbServer();
        server.Then(new Answer(503));
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url));
        string a = env.Capture("segv", 1_700_000_000);
        var first = env.Run();
        Assert.That(first.Stdout, Does.Contain("processed 1, submitted 0, failed 1, rejected 0"));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("processed"));
        var m = UploaderEnv.Marker(a);
        Assert.That(m.Attempts, Is.EqualTo(1));
        Assert.That(m.NextAttempt, Is.GreaterThanOrEqualTo(m.LastAttempt!.Value + Backoff.BaseSeconds / 2));
        Assert.That(m.LastError, Does.Contain("503"));

        env.Run();
        Assert.That(server.Requests, Has.Count.EqualTo(1), "still inside its backoff: not tried");

        Assert.That(env.Uploader("retry").ExitCode, Is.EqualTo(0));
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(server.Keys, Is.EqualTo(new[] { m.ReportId, m.ReportId }));
        Assert.That(server.Stored.Keys, Is.EqualTo(new[] { m.ReportId }));
    }

    [Test]
    public void Too_many_requests_honours_retry_after()
    {
        using var server = new CrashDbServer();
        server.Then(new Answer(429, RetryAfter: "7200"));
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url));
        string a = env.Capture("segv", 1_700_000_000);
        env.Run();
        var m = UploaderEnv.Marker(a);
        Assert.That(UploaderEnv.State(a), Is.EqualTo("processed"));
        Assert.That(m.NextAttempt, Is.GreaterThanOrEqualTo(m.LastAttempt!.Value + 7200));
    }

    [Test]
    public void Timeout_and_refused_connection_are_retried_later()
    {
        using var server = new CrashDbServer();
        server.Then(new Answer(200, Stall: TimeSpan.FromSeconds(30)));
        string refused = $"http://127.0.0.1:{LoopbackHttpServer.FreePort()}/crash";
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url, timeoutSeconds: 1));
        string a = env.Capture("segv", 1_700_000_000);
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("processed"));
        Assert.That(UploaderEnv.Marker(a).LastError, Does.Contain("timed out"));

        env.WriteConfig(UploaderEnv.Server(refused));
        env.Uploader("retry");
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("processed"));
        Assert.That(UploaderEnv.Marker(a).Attempts, Is.EqualTo(2));
        Assert.That(UploaderEnv.Marker(a).LastError, Does.Contain("ConnectionError"));

        env.WriteConfig(UploaderEnv.Server(refused) + UploaderEnv.Server(server.Url));
        env.Uploader("retry");
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"), "the second server takes it");
        Assert.That(UploaderEnv.Marker(a).DeliveredTo, Is.EqualTo(server.Url));
        Assert.That(server.Stored, Has.Count.EqualTo(1));
    }

    [Test]
    public void Permanent_refusal_moves_the_report_to_rejected_and_keeps_it()
    {
        using var server = new CrashDbServer();
        server.Then(new Answer(400));
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url));
        string a = env.Capture("segv", 1_700_000_000);
        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("rejected 1"));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("rejected"));
        Assert.That(UploaderEnv.Report(a), Does.Contain("crash_null_write"));
        Assert.That(UploaderEnv.Marker(a).LastError, Does.Contain("400"));
        env.Run();
        Assert.That(server.Requests, Has.Count.EqualTo(1), "rejected reports are not retried by themselves");

        env.Uploader("retry", "--rejected");
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
    }

    [Test]
    public void Reports_that_failed_go_behind_new_ones()
    {
        using var server = new CrashDbServer { Default = new Answer(503) };
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url));
        string a = env.Capture("segv", 1_700_000_000);
        string b = env.Capture("segv2", 1_700_000_100);
        env.Run();
        Assert.That(server.Keys, Is.EqualTo(new[] { UploaderEnv.Marker(a).ReportId, UploaderEnv.Marker(b).ReportId }), "oldest crash first");

        string c = env.Capture("fpe", 1_700_000_200);
        env.Uploader("retry");
        server.Default = new Answer(200);
        env.Run();
        Assert.That(server.StoredOrder, Is.EqualTo(new[] { UploaderEnv.Marker(c).ReportId, UploaderEnv.Marker(a).ReportId, UploaderEnv.Marker(b).ReportId }),
            "the new report first, the ones that failed after it");
        Assert.That(new[] { a, b, c }.Select(UploaderEnv.State), Is.All.EqualTo("submitted"));
    }
}
