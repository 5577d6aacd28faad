using System.Text;
using CoreDump.Store;
using CoreDump.Upload;

namespace CoreDump.Uploader.Delivery;

/// <summary>The embedded default with no server configured: the report is written atomically to
/// &lt;outbox&gt;/&lt;report id&gt;.report, which counts as delivered.</summary>
public sealed class OutboxTarget(string outbox) : IDeliveryTarget
{
    public string Name => "outbox " + outbox;

    public Task<DeliveryResult> DeliverAsync(ArchiveRef archive, string reportId, string reportText, CancellationToken ct)
    {
        using var dir = SafeDirectory.OpenPath(outbox, 0x1e8 /* 0750 */, out var refusal);
        if (dir is null) return Task.FromResult(new DeliveryResult(DeliveryVerdict.Retry, refusal ?? $"cannot open {outbox}"));
        return Task.FromResult(dir.WriteAtomically(reportId + StateFiles.ReportSuffix, Encoding.UTF8.GetBytes(reportText), MarkerStore.FileMode, out var error)
            ? new DeliveryResult(DeliveryVerdict.Delivered, $"written to {Path.Combine(outbox, reportId + StateFiles.ReportSuffix)}")
            : new DeliveryResult(DeliveryVerdict.Retry, $"outbox: {error}"));
    }
}
