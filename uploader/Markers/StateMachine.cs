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

    /// <summary>Two-stage delivery, the report delivered: submitted, unless its server asked for the archive;
    /// then the archive stays processed (archive_upload "wanted") until the archive is uploaded or refused, so
    /// remove_core_after_delivery and cdm's rotation treat it as not done yet.</summary>
    public static (ArchiveState State, string ArchiveUpload) AfterReport(ArchiveState from, bool archiveWanted) =>
        Next(from, DeliveryVerdict.Delivered) is var done && archiveWanted
            ? (ArchiveState.Processed, ArchiveUploads.Wanted)
            : (done, ArchiveUploads.NotRequested);

    /// <summary>Two-stage delivery, the archive's own upload: uploaded → submitted; refused permanently →
    /// submitted too (the report is delivered; archive_upload "refused" says what was lost); a temporary failure
    /// stays processed and "wanted", and only the archive is tried again.</summary>
    public static (ArchiveState State, string ArchiveUpload) AfterArchive(ArchiveState from, DeliveryVerdict verdict) => (from, verdict) switch
    {
        (ArchiveState.Processed, DeliveryVerdict.Delivered) => (ArchiveState.Submitted, ArchiveUploads.Uploaded),
        (ArchiveState.Processed, DeliveryVerdict.Reject) => (ArchiveState.Submitted, ArchiveUploads.Refused),
        (ArchiveState.Processed, DeliveryVerdict.Retry) => (ArchiveState.Processed, ArchiveUploads.Wanted),
        _ => throw new InvalidOperationException($"no transition from {from} on archive verdict {verdict}"),
    };
}
