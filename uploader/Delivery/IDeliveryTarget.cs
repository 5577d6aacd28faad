using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Delivery;

/// <param name="Archive">With `archive = "on_request"`, on a delivered report: whether the server asked for the archive.</param>
/// <param name="ArchiveSent">The archive went with the report (`archive = "always"`).</param>
internal sealed record DeliveryResult(DeliveryVerdict Verdict, string Detail, long? RetryAfterSeconds = null,
    ArchiveAsk? Archive = null, bool ArchiveSent = false);

/// <summary>A crash database (or the local outbox) that can accept one report.</summary>
internal interface IDeliveryTarget
{
    string Name { get; }
    Task<DeliveryResult> DeliverAsync(ArchiveRef archive, string reportId, string reportText, CancellationToken ct);
}

/// <summary>A crash database that takes an archive on its own, after its report (two-stage delivery).</summary>
internal interface IArchiveTarget
{
    string Name { get; }
    /// <summary>Whether this server's configuration still lets an archive it asked for go to it.</summary>
    bool TakesArchives { get; }
    Task<DeliveryResult> UploadArchiveAsync(ArchiveRef archive, string reportId, CancellationToken ct);
}
