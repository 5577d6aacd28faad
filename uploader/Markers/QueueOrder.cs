namespace CoreDump.Uploader.Markers;

/// <summary>One report waiting for delivery.</summary>
internal sealed record QueueItem(string Key, long CrashTime, MarkerInfo Marker);

internal static class QueueOrder
{
    /// <summary>Reports that never failed first (oldest crash first), then the ones that failed before, least
    /// recently tried first, so a report a server keeps refusing never holds back new ones. Items still inside
    /// their backoff window are left out.</summary>
    public static List<QueueItem> DueInOrder(IEnumerable<QueueItem> items, long now) =>
        items.Where(i => Backoff.IsDue(i.Marker, now))
            .OrderBy(i => i.Marker.Attempts > 0)
            .ThenBy(i => i.Marker.Attempts > 0 ? i.Marker.LastAttempt ?? 0 : 0)
            .ThenBy(i => i.CrashTime)
            .ThenBy(i => i.Key, StringComparer.Ordinal)
            .ToList();
}
