using CoreDump.Upload;

namespace CoreDump.Uploader.Delivery;

public sealed record DeliveryResult(DeliveryVerdict Verdict, string Detail, long? RetryAfterSeconds = null);

/// <summary>A crash database (or the local outbox) that can accept one report.</summary>
public interface IDeliveryTarget
{
    string Name { get; }
    Task<DeliveryResult> DeliverAsync(ArchiveRef archive, string reportId, string reportText, CancellationToken ct);
}
