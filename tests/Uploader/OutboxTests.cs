using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Report;

namespace CoreDump.Tests.Uploader;

[TestFixture]
public class OutboxTests
{
    [Test]
    public void With_no_server_configured_reports_go_to_the_outbox()
    {
        using var env = new UploaderEnv();
        string a = env.Capture("segv", 1_700_000_000);
        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("processed 1, submitted 1, failed 0, rejected 0"));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        string id = UploaderEnv.Marker(a).ReportId!;
        string delivered = Path.Combine(env.Outbox, id + ".report");
        Assert.That(File.ReadAllText(delivered), Is.EqualTo(UploaderEnv.Report(a)));
        Assert.That(Directory.GetFiles(env.Outbox), Has.Length.EqualTo(1), "nothing but the report (no temporaries)");
        Assert.That(File.ReadAllText(env.LogFile), Does.Contain("uploader run: processed 1, submitted 1, failed 0, rejected 0"));

        var again = env.Run();
        Assert.That(again.Stdout, Does.Contain("processed 0, submitted 0"));
    }

    [Test]
    public void Archive_without_marker_counts_as_pending()
    {
        using var env = new UploaderEnv();
        string a = env.Capture("segv", 1_700_000_000);
        File.Delete(a + ".pending");
        Assert.That(env.List().Single().State, Is.EqualTo("pending"));
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
    }

    [Test]
    public void Processed_without_report_gets_its_report_again()
    {
        using var env = new UploaderEnv();
        string a = env.Capture("segv", 1_700_000_000);
        File.Move(a + ".pending", a + ".processed");
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(UploaderEnv.Report(a), Does.Contain("crash_null_write"));
    }

    [Test]
    public void List_json_matches_the_files_on_disk()
    {
        using var env = new UploaderEnv();
        string done = env.Capture("segv", 1_700_000_000);
        env.Run();
        string waiting = env.Capture("fpe", 1_700_000_100);
        string bare = env.Capture("segv2", 1_700_000_200);
        File.Delete(bare + ".pending");

        var rows = env.List();
        var onDisk = Directory.GetFiles(env.DaemonDir, "*.core.tar.gz").Order(StringComparer.Ordinal).ToArray();
        Assert.That(rows.Select(r => r.Path).Order(StringComparer.Ordinal), Is.EqualTo(onDisk));
        foreach (var row in rows)
        {
            string expected = UploaderEnv.State(row.Path) is var s && s == "none" ? "pending" : s;
            Assert.That(row.State, Is.EqualTo(expected), row.Archive);
            Assert.That(row.Size, Is.EqualTo(new FileInfo(row.Path).Length));
            Assert.That(row.Daemon, Is.EqualTo(Crashes.CrasherDaemon));
            Assert.That(row.HasReport, Is.EqualTo(File.Exists(row.Path + ".report")));
            Assert.That(row.Archive, Is.EqualTo($"{Crashes.CrasherDaemon}.{row.Slot}.{row.Time}.core.tar.gz"));
        }
        var submitted = rows.Single(r => r.Path == done);
        Assert.That(submitted.Signature, Is.EqualTo(ReportText.SignatureOf(UploaderEnv.Report(done))));
        Assert.That(submitted.SignalName, Is.EqualTo("SIGSEGV"));
        Assert.That(rows.Single(r => r.Path == waiting).Signature, Is.Null);

        var filtered = env.Uploader("list", "--json", "--state", "submitted");
        Assert.That(System.Text.Json.JsonSerializer.Deserialize(filtered.Stdout, UploadJsonContext.Default.ListListEntry)!.Select(r => r.Path), Is.EqualTo(new[] { done }));
        var table = env.Uploader("list");
        Assert.That(table.ExitCode, Is.EqualTo(0));
        Assert.That(table.Stdout, Does.Contain("SIGNATURE").And.Contain(submitted.Signature));
    }
}
