using System.Text;
using System.Text.Json;
using CoreDump.Uploader.Markers;
using Answer = CoreDump.Tests.Uploader.CrashDbServer.Answer;

namespace CoreDump.Tests.Uploader;

/// <summary>`archive = "on_request"` end to end: real crashes captured by the real cdm, the real uploader, and a
/// real crash database on 127.0.0.1 that answers the report with the documented JSON (docs/crashdb-protocol.md)
/// and records every request byte for byte.</summary>
[TestFixture]
public class TwoStageDeliveryTests
{
    private const string Wanted = """{"archive": "wanted", "id": "crash-4711"}""";
    private const string NotNeeded = """{"archive": "not_needed", "id": "crash-0042"}""";

    private static string OnRequest(CrashDbServer server, string more = "") => UploaderEnv.Server(server.Url, more: "archive = \"on_request\"\n" + more);

    /// <summary>A real crash captured for <paramref name="env"/>, and a copy of its archive as captured (to compare
    /// with what the server received, or with what is left after the core is removed).</summary>
    private static (string Archive, string Original) CaptureKeepingACopy(UploaderEnv env)
    {
        string a = env.Capture("segv", 1_700_000_000);
        string original = Path.Combine(env.Root.Dir, "original.core.tar.gz");
        File.Copy(a, original);
        return (a, original);
    }

    [Test]
    public void Not_needed_answer_sends_no_archive()
    {
        using var server = new CrashDbServer { Default = new Answer(200, Body: NotNeeded) };
        using var env = new UploaderEnv(OnRequest(server));
        string a = env.Capture("segv", 1_700_000_000);
        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("processed 1, submitted 1, failed 0, rejected 0, waiting 0"));
        var req = server.Requests.Single();
        var m = UploaderEnv.Marker(a);
        Assert.That(req.IdempotencyKey, Is.EqualTo(m.ReportId));
        var parts = Multipart.Parse(req);
        Assert.That(parts.Select(p => p.Name), Is.EqualTo(new[] { "crash" }), "the report only");
        Assert.That(parts[0].Text, Does.Contain("Signature: " + m.Signature));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(m.ArchiveUpload, Is.EqualTo(ArchiveUploads.NotRequested));
        Assert.That(m.ServerCrashId, Is.EqualTo("crash-0042"));
        Assert.That(m.ArchiveDetail, Does.Contain("does not need the archive"));

        env.Run();
        Assert.That(server.Requests, Has.Count.EqualTo(1), "nothing sent again");
        var info = env.Uploader("info", Path.GetFileName(a));
        Assert.That(info.Stdout, Does.Contain("archive-upload: not_requested (not requested by the server)").And.Contain("server-crash-id: crash-0042"));
    }

    [Test]
    public void Wanted_archive_is_sent_once_byte_identical_to_the_same_url()
    {
        using var server = new CrashDbServer { Default = new Answer(200, Body: Wanted) };
        using var env = new UploaderEnv(OnRequest(server, "auth_header = \"Authorization: Bearer t0ken\""));
        var (a, original) = CaptureKeepingACopy(env);
        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("processed 1, submitted 1, failed 0, rejected 0, waiting 0, archives uploaded on request 1"));
        var m = UploaderEnv.Marker(a);
        var requests = server.Requests.ToList();
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(requests.Select(q => q.IdempotencyKey), Is.EqualTo(new[] { m.ReportId, m.ReportId + ".archive" }));
        Assert.That(Multipart.Parse(requests[0]).Select(p => p.Name), Is.EqualTo(new[] { "crash" }), "stage one: the report without the archive");
        var stage2 = Multipart.Parse(requests[1]);
        Assert.That(stage2.Select(p => p.Name), Is.EqualTo(new[] { "report_id", "archive" }));
        Assert.That(stage2[0].Text, Is.EqualTo(m.ReportId));
        Assert.That(stage2[1].FileName, Is.EqualTo(Path.GetFileName(a)));
        Assert.That(stage2[1].ContentType, Is.EqualTo("application/gzip"));
        Assert.That(requests[1].Authorization, Is.EqualTo("Bearer t0ken"));
        string received = Path.Combine(env.Root.Dir, "received.core.tar.gz");
        File.WriteAllBytes(received, stage2[1].Bytes);
        Assert.That(ArchiveCheck.SameBytes(received, original), Is.True, "the archive arrives byte for byte");
        var check = new ArchiveCheck(received);
        Assert.That(check.Members, Has.Some.EndsWith(".core"), "real tar and gzip read what arrived");
        Assert.That(check.Members, Has.Some.EqualTo("metadata.json"));

        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(m.ArchiveUpload, Is.EqualTo(ArchiveUploads.Uploaded));
        Assert.That(m.ServerCrashId, Is.EqualTo("crash-4711"));
        Assert.That(m.ArchiveUploadedAt, Is.Not.Null);
        Assert.That(server.Stored.Keys, Is.EquivalentTo(new[] { m.ReportId, m.ReportId + ".archive" }));

        env.Run();
        Assert.That(server.Requests, Has.Count.EqualTo(2), "neither the report nor the archive is sent again");
        var status = JsonDocument.Parse(env.Uploader("status", "--json").Stdout).RootElement.GetProperty("archive_uploads");
        Assert.That(status.GetProperty("uploaded").GetInt32(), Is.EqualTo(1));
        Assert.That(status.GetProperty("not_requested").GetInt32(), Is.EqualTo(0));
    }

    [Test]
    public void Archive_upload_that_fails_is_retried_alone_and_the_core_stays_until_it_is_done()
    {
        using var server = new CrashDbServer();
        server.Then(new Answer(200, Body: Wanted), new Answer(503, RetryAfter: "120"));
        using var env = new UploaderEnv("remove_core_after_delivery = true\n" + OnRequest(server));
        var (a, original) = CaptureKeepingACopy(env);
        var first = env.Run();
        Assert.That(first.Stdout, Does.Contain("processed 1, submitted 1, failed 1, rejected 0, waiting 1"));
        var m = UploaderEnv.Marker(a);
        Assert.That(UploaderEnv.State(a), Is.EqualTo("processed"), "the archive is still to go");
        Assert.That(m.ArchiveUpload, Is.EqualTo(ArchiveUploads.Wanted));
        Assert.That(m.DeliveredTo, Is.EqualTo(server.Url));
        Assert.That(m.Attempts, Is.EqualTo(1));
        Assert.That(m.LastError, Does.Contain("archive").And.Contain("503"));
        Assert.That(m.NextAttempt, Is.GreaterThanOrEqualTo(m.LastAttempt!.Value + 120), "Retry-After honoured");
        Assert.That(new ArchiveCheck(a).Members, Has.Some.EndsWith(".core"), "remove_core_after_delivery waits for the archive upload");
        Assert.That(env.Uploader("list").Stdout, Does.Contain("(report delivered; archive requested, not uploaded yet)"));

        env.Run();
        Assert.That(server.Requests, Has.Count.EqualTo(2), "inside its backoff: nothing sent");
        Assert.That(env.Uploader("retry").ExitCode, Is.EqualTo(0));
        var second = env.Run();
        Assert.That(second.Stdout, Does.Contain("submitted 0, failed 0, rejected 0, waiting 0, archives uploaded on request 1"));
        var keys = server.Keys;
        Assert.That(keys, Is.EqualTo(new[] { m.ReportId, m.ReportId + ".archive", m.ReportId + ".archive" }), "the report went once; only the archive again");
        Assert.That(server.Requests.Count(q => Multipart.Parse(q).Any(p => p.Name == "crash")), Is.EqualTo(1));
        var last = Multipart.Parse(server.Requests.Last()).Single(p => p.Name == "archive");
        string received = Path.Combine(env.Root.Dir, "received.core.tar.gz");
        File.WriteAllBytes(received, last.Bytes);
        Assert.That(ArchiveCheck.SameBytes(received, original), Is.True);
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(UploaderEnv.Marker(a).ArchiveUpload, Is.EqualTo(ArchiveUploads.Uploaded));
        Assert.That(new ArchiveCheck(a).Members, Has.None.EndsWith(".core"), "uploaded: now the core is removed");
    }

    [Test]
    public void Archive_refused_permanently_leaves_the_report_delivered_and_says_so()
    {
        using var server = new CrashDbServer();
        server.Then(new Answer(200, Body: Wanted), new Answer(413));
        using var env = new UploaderEnv(OnRequest(server));
        string a = env.Capture("segv", 1_700_000_000);
        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("submitted 1, failed 0, rejected 0, waiting 0, archives refused 1"));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        var m = UploaderEnv.Marker(a);
        Assert.That(m.ArchiveUpload, Is.EqualTo(ArchiveUploads.Refused));
        Assert.That(m.ArchiveDetail, Does.Contain("413"));
        var info = env.Uploader("info", Path.GetFileName(a)).Stdout;
        var list = env.Uploader("list").Stdout;
        Assert.That(info, Does.Contain("archive-upload: refused (requested, then refused by the server)"));
        Assert.That(list, Does.Contain("(archive refused by the server)"));
        env.Run();
        Assert.That(server.Requests, Has.Count.EqualTo(2), "a refused archive is not tried again");
    }

    private static IEnumerable<TestCaseData> BadAnswers()
    {
        yield return new TestCaseData("text/html", "<html>{\"archive\": \"wanted\"}</html>", "is text/html, not application/json").SetName("Html_answer");
        yield return new TestCaseData(null, "{\"archive\": \"wanted\"}", "not application/json").SetName("Answer_without_content_type");
        yield return new TestCaseData("application/json", "{\"archive\": \"wan", "not the expected JSON").SetName("Truncated_json");
        yield return new TestCaseData("application/json", "[\"wanted\"]", "not the expected JSON").SetName("Json_array");
        yield return new TestCaseData("application/json", "{\"archive\": true}", "not the expected JSON").SetName("Json_wrong_type");
        yield return new TestCaseData("application/json", "{\"archive\": \"WANTED\\u0007\"}", "is 'WANTED?', neither").SetName("Unknown_value");
        yield return new TestCaseData("application/json", "{\"id\": \"x\"}", "no \"archive\" member").SetName("No_archive_member");
        yield return new TestCaseData("application/json", "{\"archive\": \"wanted\", \"pad\": \"" + new string('x', 70_000) + "\"}", "larger than 65536 bytes")
            .SetName("Oversized_answer");
    }

    [TestCaseSource(nameof(BadAnswers))]
    public void An_answer_not_following_the_protocol_sends_no_archive_and_says_why(string? type, string body, string reason)
    {
        using var server = new CrashDbServer { Default = new Answer(200, Body: body, BodyType: type) };
        using var env = new UploaderEnv(OnRequest(server));
        string a = env.Capture("segv", 1_700_000_000);
        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("submitted 1, failed 0, rejected 0, waiting 0"));
        Assert.That(server.Requests, Has.Count.EqualTo(1), "no archive upload");
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"), "the report is delivered whatever its answer holds");
        var m = UploaderEnv.Marker(a);
        Assert.That(m.ArchiveUpload, Is.EqualTo(ArchiveUploads.NotRequested));
        Assert.That(m.ArchiveDetail, Does.Contain(reason));
        Assert.That(File.ReadAllText(env.LogFile), Does.Contain(reason), "logged");
    }

    [Test]
    public void A_hostile_answer_cannot_send_the_archive_elsewhere()
    {
        using var thief = new CrashDbServer();
        using var server = new CrashDbServer();
        string elsewhere = thief.Url + "/steal";
        server.Then(new Answer(200, Location: elsewhere, Body: $$"""
            {"archive": "wanted", "url": "{{elsewhere}}", "upload_url": "{{elsewhere}}", "location": "{{elsewhere}}", "server": "{{elsewhere}}",
             "id": "../../{{elsewhere}}"}
            """));
        server.Then(new Answer(200, Location: elsewhere));
        using var env = new UploaderEnv(OnRequest(server));
        var (a, original) = CaptureKeepingACopy(env);
        env.Run();
        Assert.That(thief.Requests, Is.Empty, "nothing went to the url the answer named");
        var requests = server.Requests.ToList();
        Assert.That(requests, Has.Count.EqualTo(2));
        Assert.That(Multipart.Parse(requests[1]).Single(p => p.Name == "archive").Bytes, Is.EqualTo(File.ReadAllBytes(original)), "the archive went to the configured url");
        var m = UploaderEnv.Marker(a);
        Assert.That(m.ArchiveUpload, Is.EqualTo(ArchiveUploads.Uploaded));
        Assert.That(m.DeliveredTo, Is.EqualTo(server.Url));
        Assert.That(m.ServerCrashId, Is.Null, "an id that is not a plain token is not kept");
    }

    /// <summary>SIGKILL while the server holds request number <paramref name="held"/> (1: the report, 2: the archive).
    /// The next pass finishes: killed during the report, it sends the report again with the same key (the server
    /// stores it once and answers as before); killed during the archive, it sends only the archive again.</summary>
    [TestCase(1)]
    [TestCase(2)]
    public void Killed_between_or_during_the_stages_the_next_pass_finishes_without_a_second_report(int held)
    {
        using var server = new CrashDbServer { Default = new Answer(200, Body: Wanted) };
        var stall = new Answer(200, Stall: TimeSpan.FromSeconds(60), StoreBeforeStall: true, Body: Wanted);
        if (held == 1) server.Then(stall); else server.Then(new Answer(200, Body: Wanted), stall);
        using var env = new UploaderEnv(OnRequest(server).Replace("timeout_seconds = 5", "timeout_seconds = 120"));
        string a = env.Capture("segv", 1_700_000_000);
        env.Uploader("analyze");
        using (var p = env.Start("deliver"))
        {
            var until = DateTime.UtcNow.AddSeconds(90);
            while (server.Requests.Count < held && DateTime.UtcNow < until) Thread.Sleep(50);
            Assert.That(server.Requests, Has.Count.EqualTo(held), "the server holds the request");
            p.Kill();
            p.WaitForExit();
        }
        var m = UploaderEnv.Marker(a);
        Assert.That(UploaderEnv.State(a), Is.EqualTo("processed"));
        Assert.That(m.ArchiveUpload, Is.EqualTo(held == 1 ? null : ArchiveUploads.Wanted), "the marker says which stage is done");

        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(UploaderEnv.Marker(a).ArchiveUpload, Is.EqualTo(ArchiveUploads.Uploaded));
        string id = m.ReportId!;
        var expected = held == 1 ? new[] { id, id, id + ".archive" } : new[] { id, id + ".archive", id + ".archive" };
        Assert.That(server.Keys, Is.EqualTo(expected));
        Assert.That(server.Stored.Keys, Is.EquivalentTo(new[] { id, id + ".archive" }), "report and archive stored once each");
        if (held == 2) Assert.That(server.Requests.Count(q => Multipart.Parse(q).Any(p => p.Name == "crash")), Is.EqualTo(1), "the report went once");
    }

    [TestCase("archive = \"always\"", true, "with_report")]
    [TestCase("upload_archive = true", true, "with_report")]
    [TestCase("archive = \"never\"", false, null)]
    [TestCase("", false, null)]
    public void Always_and_never_ignore_the_answer(string setting, bool withArchive, string? upload)
    {
        using var server = new CrashDbServer { Default = new Answer(200, Body: Wanted) };
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url, more: setting));
        string a = env.Capture("segv", 1_700_000_000);
        env.Run();
        var req = server.Requests.Single();
        var parts = Multipart.Parse(req);
        Assert.That(parts.Select(p => p.Name), Is.EqualTo(withArchive ? new[] { "crash", "archive" } : new[] { "crash" }));
        if (withArchive) Assert.That(parts[1].Bytes, Is.EqualTo(File.ReadAllBytes(a)));
        Assert.That(req.IdempotencyKey, Is.EqualTo(UploaderEnv.Marker(a).ReportId));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(UploaderEnv.Marker(a).ArchiveUpload, Is.EqualTo(upload));
    }
}

/// <summary>multipart/form-data as a crash database reads it: the parts of a recorded request, byte for byte.</summary>
internal static class Multipart
{
    public sealed record Part(string Name, string? FileName, string? ContentType, byte[] Bytes)
    {
        public string Text => Encoding.UTF8.GetString(Bytes);
    }

    public static List<Part> Parse(CrashDbServer.Request request)
    {
        string boundary = request.ContentType.Split(';').Select(p => p.Trim()).Single(p => p.StartsWith("boundary=", StringComparison.Ordinal))["boundary=".Length..].Trim('"');
        byte[] raw = request.RawBody;
        byte[] delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var parts = new List<Part>();
        int at = IndexOf(raw, delimiter, 0);
        Assert.That(at, Is.GreaterThanOrEqualTo(0), "no boundary in the body");
        while (true)
        {
            int start = at + delimiter.Length;
            if (raw.AsSpan(start).StartsWith("--"u8)) break;
            start += 2; // CRLF after the boundary
            int headersEnd = IndexOf(raw, "\r\n\r\n"u8.ToArray(), start);
            string headers = Encoding.UTF8.GetString(raw, start, headersEnd - start);
            int next = IndexOf(raw, [.. "\r\n"u8, .. delimiter], headersEnd + 4);
            Assert.That(next, Is.GreaterThanOrEqualTo(0), "an unterminated part");
            byte[] content = raw[(headersEnd + 4)..next];
            string? Header(string name) => headers.Split("\r\n").Where(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).Select(h => h[(name.Length + 1)..].Trim()).FirstOrDefault();
            string? Param(string? header, string key) => header?.Split(';').Select(p => p.Trim()).Where(p => p.StartsWith(key + "=", StringComparison.Ordinal)).Select(p => p[(key.Length + 1)..].Trim('"')).FirstOrDefault();
            string? disposition = Header("Content-Disposition");
            parts.Add(new Part(Param(disposition, "name")!, Param(disposition, "filename"), Header("Content-Type")?.Split(';')[0].Trim(), content));
            at = next + 2;
        }
        return parts;
    }

    private static int IndexOf(byte[] haystack, byte[] needle, int from)
    {
        int i = haystack.AsSpan(from).IndexOf(needle);
        return i < 0 ? -1 : from + i;
    }
}
