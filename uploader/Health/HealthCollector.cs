using CoreDump.Store;
using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Config;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Retention;

namespace CoreDump.Uploader.Health;

/// <summary>Reads what <see cref="HealthCounters"/> counts from disk: the markers, the drop records' metadata
/// (small archives without a core), each daemon's .ratelimit and the outbox. Read-only.</summary>
internal static class HealthCollector
{
    public static HealthCounters Collect(UploaderConfig config, long now)
    {
        var problems = new List<string>();
        var inputs = new List<HealthInput>();
        foreach (var (a, item) in ArchiveRemover.Items(config.Corepath, problems))
        {
            string? reason = null;
            if (a.Name.Drop)
                try { reason = ArchiveMembers.Read(a.Path).Metadata.DropReason ?? "unknown"; }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { reason = "unreadable"; }
            inputs.Add(new HealthInput(a.Name.Drop, item.State, a.Marker.Attempts, a.Name.UnixTime, item.Bytes, reason, a.Marker.ArchiveUpload));
        }
        var (outboxReports, outboxBytes) = Outbox(config.Outbox);
        return HealthCounters.From(inputs, Suppressed(config.Corepath), outboxReports, outboxBytes, problems, now);
    }

    private static long Suppressed(string corePath)
    {
        long total = 0;
        foreach (var (_, dir) in ArchiveScanner.DaemonDirectories(corePath))
            if (dir.ReadSmall(".ratelimit", 256) is { } bytes) total += HealthCounters.SuppressedOf(System.Text.Encoding.ASCII.GetString(bytes));
        return total;
    }

    private static (int Reports, long Bytes) Outbox(string outbox)
    {
        using var dir = SafeDirectory.OpenExistingPath(outbox, out _);
        if (dir is null) return (0, 0);
        int n = 0;
        long bytes = 0;
        foreach (var name in dir.List().Where(f => f.EndsWith(StateFiles.ReportSuffix, StringComparison.Ordinal) && !f.StartsWith('.')))
            if (dir.TryStat(name, out var st) && st.IsRegular) { n++; bytes += st.Size; }
        return (n, bytes);
    }
}
