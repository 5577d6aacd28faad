using CoreDump.Store;
using CoreDump.Uploader.Delivery;

namespace CoreDump.Uploader.Markers;

/// <summary>What happened to an archive; the state machine decides the next marker.</summary>
internal enum UploadStep { ReportWritten, Delivered, Refused, RetryLater, RetryRejected }

internal static class StateMachine
{
    /// <summary>corewatcher's states: pending → processed (report written) → submitted, or rejected on a
    /// permanent refusal. A temporary failure keeps the state. `retry --rejected` returns a rejected report to
    /// processed. Anything else is a programming error.</summary>
    public static ArchiveState Next(ArchiveState from, UploadStep step) => (from, step) switch
    {
        (ArchiveState.Pending, UploadStep.ReportWritten) => ArchiveState.Processed,
        (ArchiveState.Pending, UploadStep.RetryLater) => ArchiveState.Pending,
        (ArchiveState.Processed, UploadStep.Delivered) => ArchiveState.Submitted,
        (ArchiveState.Processed, UploadStep.Refused) => ArchiveState.Rejected,
        (ArchiveState.Processed, UploadStep.RetryLater) => ArchiveState.Processed,
        (ArchiveState.Rejected, UploadStep.RetryRejected) => ArchiveState.Processed,
        _ => throw new InvalidOperationException($"no transition from {from} on {step}"),
    };

    public static DeliveryVerdict? ToVerdict(UploadStep s) => s switch
    {
        UploadStep.Delivered => DeliveryVerdict.Delivered,
        UploadStep.Refused => DeliveryVerdict.Reject,
        UploadStep.RetryLater => DeliveryVerdict.Retry,
        _ => null,
    };

    public static UploadStep FromVerdict(DeliveryVerdict v) => v switch
    {
        DeliveryVerdict.Delivered => UploadStep.Delivered,
        DeliveryVerdict.Reject => UploadStep.Refused,
        _ => UploadStep.RetryLater,
    };
}
