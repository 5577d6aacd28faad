using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Delivery;

internal sealed record DeliveryResult(DeliveryVerdict Verdict, string Detail, long? RetryAfterSeconds = null);

/// <summary>A crash database (or the local outbox) that can accept one report.</summary>
internal interface IDeliveryTarget
{
    string Name { get; }
    Task<DeliveryResult> DeliverAsync(ArchiveRef archive, string reportId, string reportText, CancellationToken ct);
}
