using System.Text;
using CoreDump.Native;
using CoreDump.Store;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Delivery;

/// <summary>The embedded default with no server configured: the report is written atomically to
/// &lt;outbox&gt;/&lt;report id&gt;.report, which counts as delivered. The outbox is bounded
/// (outbox_max_bytes) and leaves free space on its filesystem (outbox_keep_free_bytes): beyond either,
/// delivery is a retryable failure and nothing is ever deleted to make room.</summary>
internal sealed class OutboxTarget(string outbox, long maxBytes, long keepFreeBytes) : IDeliveryTarget
{
    public string Name => "outbox " + outbox;

    public Task<DeliveryResult> DeliverAsync(ArchiveRef archive, string reportId, string reportText, CancellationToken ct)
    {
        using var dir = SafeDirectory.OpenPath(outbox, FileModes.Mode0750, out var refusal);
        if (dir is null) return Task.FromResult(new DeliveryResult(DeliveryVerdict.Retry, refusal ?? $"cannot open {outbox}"));
        string name = reportId + StateFiles.ReportSuffix;
        byte[] bytes = Encoding.UTF8.GetBytes(reportText);
        long held = 0, replaced = 0;
        foreach (var n in dir.List())
            if (dir.TryStat(n, out var st) && st.IsRegular)
            {
                held += st.Size;
                if (n == name) replaced = st.Size;
            }
        long free;
        try { free = Posix.FstatVfs(dir.Handle, outbox).AvailableBytes; }
        catch (PosixException) { free = long.MaxValue; } // unknown: only outbox_max_bytes bounds it
        if (OutboxBounds.Refusal(held - replaced, free, bytes.Length, maxBytes, keepFreeBytes) is { } full)
            return Task.FromResult(new DeliveryResult(DeliveryVerdict.Retry, $"outbox {outbox}: {full}"));
        try { dir.WriteAtomically(name, bytes, MarkerStore.FileMode); }
        catch (IOException e) { return Task.FromResult(new DeliveryResult(DeliveryVerdict.Retry, $"outbox: {e.Message}")); }
        return Task.FromResult(new DeliveryResult(DeliveryVerdict.Delivered, $"written to {Path.Combine(outbox, name)}"));
    }
}

/// <summary>Whether one more report fits the outbox's bounds (a pure decision).</summary>
internal static class OutboxBounds
{
    /// <param name="heldBytes">bytes of the files already in the outbox (not counting one this report replaces)</param>
    /// <param name="freeBytes">free bytes on the outbox's filesystem</param>
    public static string? Refusal(long heldBytes, long freeBytes, long reportBytes, long maxBytes, long keepFreeBytes)
    {
        if (heldBytes + reportBytes > maxBytes)
            return $"full: it holds {heldBytes} bytes and this report has {reportBytes}, over outbox_max_bytes = {maxBytes}; " +
                   "nothing is deleted to make room: collect the reports, or raise the bound";
        if (freeBytes - reportBytes < keepFreeBytes)
            return $"{freeBytes} bytes free on its filesystem; writing this report of {reportBytes} bytes would leave less than outbox_keep_free_bytes = {keepFreeBytes}";
        return null;
    }
}
