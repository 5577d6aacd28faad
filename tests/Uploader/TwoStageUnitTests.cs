using System.Text;
using CoreDump.Naming;
using CoreDump.Store;
using CoreDump.Uploader.Delivery;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Report;

namespace CoreDump.Tests.Uploader;

/// <summary>Two-stage delivery as pure decisions: the archive mode a server's keys give, what a crash database's
/// answer asks for, and how the marker moves through both stages.</summary>
[TestFixture]
public class TwoStageUnitTests
{
    [TestCase(null, null, "Never")]
    [TestCase(null, false, "Never")]
    [TestCase(null, true, "Always")]
    [TestCase("never", null, "Never")]
    [TestCase("always", null, "Always")]
    [TestCase("on_request", null, "OnRequest")]
    [TestCase("always", true, "Always")]
    [TestCase("never", false, "Never")]
    public void Archive_mode_from_either_key(string? archive, bool? uploadArchive, string mode)
    {
        Assert.That(ArchiveModes.Resolve(archive, uploadArchive, out var refusal).ToString(), Is.EqualTo(mode));
        Assert.That(refusal, Is.Null);
    }

    [TestCase("sometimes", null, "archive must be \"never\", \"always\" or \"on_request\", not 'sometimes'")]
    [TestCase("On_Request", null, "not 'On_Request'")]
    [TestCase("", null, "not ''")]
    [TestCase("on_request", true, "contradicts upload_archive = true")]
    [TestCase("on_request", false, "contradicts upload_archive = false")]
    [TestCase("always", false, "contradicts")]
    public void Archive_mode_refusals(string archive, bool? uploadArchive, string message)
    {
        Assert.That(ArchiveModes.Resolve(archive, uploadArchive, out var refusal), Is.Null);
        Assert.That(refusal, Does.Contain(message));
    }

    private static ArchiveAsk Read(string? type, string body, bool truncated = false) => ArchiveAsks.Read(type, Encoding.UTF8.GetBytes(body), truncated);

    [Test]
    public void Only_wanted_in_a_json_answer_asks_for_the_archive()
    {
        Assert.Multiple(() =>
        {
            var wanted = Read("application/json", """{"archive":"wanted","id":"db-17","extra":{"nested":[1,2]}}""");
            Assert.That(wanted.Wanted && wanted.Understood, Is.True);
            Assert.That(wanted.ServerCrashId, Is.EqualTo("db-17"));
            Assert.That(Read("APPLICATION/JSON", """{"archive":"wanted"}""").Wanted, Is.True, "media types compare case-insensitively");
            var notNeeded = Read("application/json", """{"archive":"not_needed"}""");
            Assert.That(notNeeded.Wanted, Is.False);
            Assert.That(notNeeded.Understood, Is.True);
            var empty = Read(null, "");
            Assert.That(empty.Wanted, Is.False);
            Assert.That(empty.Understood, Is.True, "a server that does not know the protocol answers without a body");
            foreach (var (type, body, reason) in new (string?, string, string)[]
            {
                ("text/plain", """{"archive":"wanted"}""", "is text/plain, not application/json"),
                ("application/json", "{", "not the expected JSON"),
                ("application/json", "null", "JSON null"),
                ("application/json", "\"wanted\"", "not the expected JSON"),
                ("application/json", """{"archive":["wanted"]}""", "not the expected JSON"),
                ("application/json", """{"archive":"yes"}""", "is 'yes', neither"),
                ("application/json", """{"id":"x"}""", "no \"archive\" member"),
                ("application/json", new string('[', 100) + new string(']', 100), "not the expected JSON"),
                ("application/json", "{\"archive\":\"wanted\",\"x\":" + new string('[', 10) + new string(']', 10) + "}", "not the expected JSON"),
            })
            {
                var ask = Read(type, body);
                Assert.That(ask.Wanted, Is.False, body);
                Assert.That(ask.Understood, Is.False, body);
                Assert.That(ask.Reason, Does.Contain(reason), body);
            }
            var big = Read("application/json", """{"archive":"wanted"}""", truncated: true);
            Assert.That(big.Wanted, Is.False);
            Assert.That(big.Reason, Does.Contain("larger than 65536 bytes"));
        });
    }

    [TestCase("crash-42", "crash-42")]
    [TestCase("A.b_c:D-9", "A.b_c:D-9")]
    [TestCase("../etc/passwd", null)]
    [TestCase("http://evil.example/x", null)]
    [TestCase("with space", null)]
    [TestCase("", null)]
    public void A_server_crash_id_is_kept_only_as_a_plain_token(string id, string? kept) =>
        Assert.That(ArchiveAsks.CrashIdOrNull(id), Is.EqualTo(kept));

    [Test]
    public void Text_from_a_server_is_printable_and_bounded()
    {
        Assert.That(ArchiveAsks.Printable("a\nb\u0007c\u00e9"), Is.EqualTo("a?b?c?"));
        Assert.That(ArchiveAsks.Printable(new string('x', 500)), Has.Length.EqualTo(81));
        Assert.That(ArchiveAsks.CrashIdOrNull(new string('x', 129)), Is.Null);
    }

    [Test]
    public void The_marker_moves_through_both_stages()
    {
        Assert.That(StateMachine.AfterReport(ArchiveState.Processed, archiveWanted: true), Is.EqualTo((ArchiveState.Processed, ArchiveUploads.Wanted)));
        Assert.That(StateMachine.AfterReport(ArchiveState.Processed, archiveWanted: false), Is.EqualTo((ArchiveState.Submitted, ArchiveUploads.NotRequested)));
        Assert.That(StateMachine.AfterArchive(ArchiveState.Processed, DeliveryVerdict.Delivered), Is.EqualTo((ArchiveState.Submitted, ArchiveUploads.Uploaded)));
        Assert.That(StateMachine.AfterArchive(ArchiveState.Processed, DeliveryVerdict.Reject), Is.EqualTo((ArchiveState.Submitted, ArchiveUploads.Refused)));
        Assert.That(StateMachine.AfterArchive(ArchiveState.Processed, DeliveryVerdict.Retry), Is.EqualTo((ArchiveState.Processed, ArchiveUploads.Wanted)));
        foreach (var from in new[] { ArchiveState.Pending, ArchiveState.Submitted, ArchiveState.Rejected })
        {
            Assert.Throws<InvalidOperationException>(() => StateMachine.AfterReport(from, true), from.ToString());
            Assert.Throws<InvalidOperationException>(() => StateMachine.AfterArchive(from, DeliveryVerdict.Delivered), from.ToString());
        }
    }

    [Test]
    public void An_archive_awaiting_its_upload_is_delivered_without_its_report_file_and_never_analysed_again()
    {
        string id = ReportId.Derive("d", 1, 2, 3, 4);
        var awaiting = new MarkerInfo { ReportId = id, DeliveredTo = "https://db.example/x", ArchiveUpload = ArchiveUploads.Wanted };
        Assert.Multiple(() =>
        {
            var a = Ref(ArchiveState.Processed, awaiting, hasReport: false);
            Assert.That(a.AwaitsArchiveUpload, Is.True);
            Assert.That(a.ReadyToDeliver, Is.True);
            Assert.That(a.NeedsReport, Is.False, "the report is delivered: it is not made again under another analysis");
            Assert.That(Ref(ArchiveState.Processed, awaiting with { DeliveredTo = null }).AwaitsArchiveUpload, Is.False, "no server to send it to");
            Assert.That(Ref(ArchiveState.Processed, awaiting with { ReportId = "bad" }).ReadyToDeliver, Is.False);
            Assert.That(Ref(ArchiveState.Submitted, awaiting).AwaitsArchiveUpload, Is.False);
            Assert.That(Ref(ArchiveState.Processed, awaiting with { ArchiveUpload = ArchiveUploads.Refused }, hasReport: false).ReadyToDeliver, Is.False);
        });
    }

    [Test]
    public void Marker_fields_round_trip()
    {
        var m = new MarkerInfo { ReportId = "r", ArchiveUpload = ArchiveUploads.Uploaded, ArchiveDetail = "d", ArchiveUploadedAt = 5, ServerCrashId = "s" };
        string json = Encoding.UTF8.GetString(m.ToJson());
        Assert.That(json, Does.Contain("\"archive_upload\": \"uploaded\"").And.Contain("\"server_crash_id\": \"s\"").And.Contain("\"archive_uploaded_at\": 5"));
        Assert.That(MarkerInfo.Parse(m.ToJson()), Is.EqualTo(m));
    }

    private static ArchiveRef Ref(ArchiveState state, MarkerInfo marker, bool hasReport = true) =>
        new("/c", new ArchiveName("d", 1, 1_700_000_000), state, HasMarker: true, marker, Size: 10, Inode: 1, hasReport);
}
