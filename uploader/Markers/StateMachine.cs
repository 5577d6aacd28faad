using CoreDump.Store;
using CoreDump.Uploader.Delivery;

namespace CoreDump.Uploader.Markers;

/// <summary>What the uploader did to an archive, besides delivering its report.</summary>
internal enum UploadStep { ReportWritten, RetryRejected }

/// <summary>corewatcher's states: pending → processed (report written) → submitted, or rejected on a
/// permanent refusal; a temporary failure keeps the state. Anything else is a programming error.</summary>
internal static class StateMachine
{
    /// <summary>A report written moves pending to processed (a processed archive whose report was made again
    /// stays processed); `retry --rejected` returns a rejected report to processed.</summary>
    public static ArchiveState Next(ArchiveState from, UploadStep step) => (from, step) switch
    {
        (ArchiveState.Pending, UploadStep.ReportWritten) => ArchiveState.Processed,
        (ArchiveState.Processed, UploadStep.ReportWritten) => ArchiveState.Processed,
        (ArchiveState.Rejected, UploadStep.RetryRejected) => ArchiveState.Processed,
        _ => throw new InvalidOperationException($"no transition from {from} on {step}"),
    };

    /// <summary>The delivery of a processed report: delivered → submitted, refused by every target →
    /// rejected (kept for inspection), anything else stays processed and is tried again after its backoff.</summary>
    public static ArchiveState Next(ArchiveState from, DeliveryVerdict verdict) => (from, verdict) switch
    {
        (ArchiveState.Processed, DeliveryVerdict.Delivered) => ArchiveState.Submitted,
        (ArchiveState.Processed, DeliveryVerdict.Reject) => ArchiveState.Rejected,
        (ArchiveState.Processed, DeliveryVerdict.Retry) => ArchiveState.Processed,
        _ => throw new InvalidOperationException($"no transition from {from} on delivery verdict {verdict}"),
    };
}
