using System.CommandLine;
using CoreDump.Naming;
using CoreDump.Store;
using CoreDump.Uploader.Commands;
using CoreDump.Uploader.Delivery;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Report;

namespace CoreDump.Tests.Uploader;

/// <summary>The marker's life as pure decisions: the transitions, the one table of state names, and which
/// archives a pass analyses or delivers.</summary>
[TestFixture]
public class StateMachineUnitTests
{
    [TestCase("Delivered", "submitted")]
    [TestCase("Reject", "rejected")]
    [TestCase("Retry", "processed")]
    public void A_processed_report_moves_by_its_delivery_verdict(string verdict, string next) =>
        Assert.That(StateMachine.Next(ArchiveState.Processed, Enum.Parse<DeliveryVerdict>(verdict)), Is.EqualTo(ArchiveStates.Parse(next)));

    [Test]
    public void Only_a_processed_report_is_delivered()
    {
        foreach (var from in ArchiveStates.All.Where(s => s != ArchiveState.Processed))
            foreach (var verdict in Enum.GetValues<DeliveryVerdict>())
                Assert.Throws<InvalidOperationException>(() => StateMachine.Next(from, verdict), $"{from} on {verdict}");
    }

    [Test]
    public void Writing_a_report_and_unrejecting_lead_to_processed()
    {
        Assert.That(StateMachine.Next(ArchiveState.Pending, UploadStep.ReportWritten), Is.EqualTo(ArchiveState.Processed));
        Assert.That(StateMachine.Next(ArchiveState.Processed, UploadStep.ReportWritten), Is.EqualTo(ArchiveState.Processed));
        Assert.That(StateMachine.Next(ArchiveState.Rejected, UploadStep.RetryRejected), Is.EqualTo(ArchiveState.Processed));
        Assert.Throws<InvalidOperationException>(() => StateMachine.Next(ArchiveState.Submitted, UploadStep.ReportWritten));
        Assert.Throws<InvalidOperationException>(() => StateMachine.Next(ArchiveState.Rejected, UploadStep.ReportWritten));
        Assert.Throws<InvalidOperationException>(() => StateMachine.Next(ArchiveState.Processed, UploadStep.RetryRejected));
    }

    [Test]
    public void Each_state_has_one_name_used_as_suffix_list_state_and_cli_value()
    {
        Assert.That(ArchiveStates.All, Is.EquivalentTo(Enum.GetValues<ArchiveState>()));
        Assert.That(ArchiveStates.Names, Is.Unique);
        foreach (var s in ArchiveStates.All)
        {
            string name = ArchiveStates.Name(s);
            Assert.That(name, Does.Match("^[a-z]+$"));
            Assert.That(ArchiveStates.Parse(name), Is.EqualTo(s));
            Assert.That(StateFiles.Marker("/c/d/d.1.2.core.tar.gz", s), Is.EqualTo("/c/d/d.1.2.core.tar.gz." + name));
            Assert.That(Ref(s).ToListEntry().State, Is.EqualTo(name));
        }
        Assert.That(ArchiveStates.Parse("Pending"), Is.Null);
        Assert.That(ArchiveStates.Parse("report"), Is.Null);
        Assert.That(StateFiles.Companions("a"), Is.EquivalentTo(ArchiveStates.Names.Select(n => "a." + n).Append("a.report")));

        var list = ListCommand.Create(new Option<string?>("--config"));
        foreach (var name in ArchiveStates.Names)
            Assert.That(list.Parse(["--state", name]).Errors, Is.Empty, name);
        Assert.That(list.Parse(["--state", "done"]).Errors, Is.Not.Empty);
    }

    [Test]
    public void A_pass_delivers_only_a_report_whose_id_the_marker_holds()
    {
        string id = ReportId.Derive("d", 1, 2, 3, 4);
        var withId = new MarkerInfo { ReportId = id };
        Assert.Multiple(() =>
        {
            Assert.That(Ref(ArchiveState.Processed, withId, hasReport: true).ReadyToDeliver, Is.True);
            Assert.That(Ref(ArchiveState.Processed, withId, hasReport: true).NeedsReport, Is.False);
            // the report file is gone, or the marker lost the id (a damaged marker reads as empty): made again
            Assert.That(Ref(ArchiveState.Processed, withId, hasReport: false).NeedsReport, Is.True);
            Assert.That(Ref(ArchiveState.Processed, new MarkerInfo(), hasReport: true).NeedsReport, Is.True);
            Assert.That(Ref(ArchiveState.Processed, new MarkerInfo(), hasReport: true).ReadyToDeliver, Is.False);
            // an id that could not have been derived is never used as a file name or Idempotency-Key
            Assert.That(Ref(ArchiveState.Processed, new MarkerInfo { ReportId = "../../etc/x" }, hasReport: true).ReadyToDeliver, Is.False);
            Assert.That(Ref(ArchiveState.Pending, withId, hasReport: true).NeedsReport, Is.True);
            Assert.That(Ref(ArchiveState.Pending, withId, hasReport: true).ReadyToDeliver, Is.False);
            foreach (var done in new[] { ArchiveState.Submitted, ArchiveState.Rejected })
            {
                Assert.That(Ref(done, withId, hasReport: true).NeedsReport, Is.False, done.ToString());
                Assert.That(Ref(done, withId, hasReport: true).ReadyToDeliver, Is.False, done.ToString());
            }
        });
    }

    private static ArchiveRef Ref(ArchiveState state, MarkerInfo? marker = null, bool hasReport = false) =>
        new("/c", new ArchiveName("d", 1, 1_700_000_000), state, HasMarker: true, marker ?? new MarkerInfo(), Size: 10, Inode: 1, hasReport);
}
