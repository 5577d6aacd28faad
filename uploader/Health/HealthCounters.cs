namespace CoreDump.Uploader.Health;

/// <summary>One archive as the health counters see it.</summary>
internal sealed record HealthInput(bool Drop, string State, int Attempts, long Time, long Bytes, string? DropReason = null, string? ArchiveUpload = null);

/// <summary>`status`: what is on disk now (gauges, not totals since boot): archives by kind and state, drop
/// records by reason, crashes the crash-loop limit suppressed in each daemon's current window, reports
/// delivered, rejected and waiting (and of those, the ones that failed at least once), the oldest waiting
/// crash, and the outbox.</summary>
internal sealed record HealthCounters
{
    /// <summary>The drop reasons cdm writes (docs/archive-layout.md); always shown, 0 when absent.</summary>
    public static readonly string[] KnownDropReasons = ["excluded", "rlimit_core", "not_dumpable", "rate_limited", "disk_guard", "error"];
    public static readonly string[] States = ["pending", "processed", "submitted", "rejected"];
    /// <summary>The markers' archive_upload values; always shown, 0 when absent.</summary>
    public static readonly string[] ArchiveUploadValues =
        [Markers.ArchiveUploads.WithReport, Markers.ArchiveUploads.Wanted, Markers.ArchiveUploads.Uploaded,
         Markers.ArchiveUploads.NotRequested, Markers.ArchiveUploads.Refused];

    public long GeneratedAt { get; init; }
    /// <summary>Core archives kept under corepath (any state).</summary>
    public int Captured { get; init; }
    /// <summary>Drop records kept (crashes stored without core), any state.</summary>
    public int DropRecords { get; init; }
    public SortedDictionary<string, int> DroppedByReason { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Crashes not stored because of the crash-loop limit, in each daemon's current window (.ratelimit).</summary>
    public long Suppressed { get; init; }
    public SortedDictionary<string, int> CoreArchivesByState { get; init; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, int> DropRecordsByState { get; init; } = new(StringComparer.Ordinal);
    public int Delivered { get; init; }
    public int Rejected { get; init; }
    /// <summary>pending or processed: reports not delivered yet.</summary>
    public int Waiting { get; init; }
    /// <summary>Of the waiting ones, those whose last attempt (analysis or delivery) failed.</summary>
    public int Failed { get; init; }
    /// <summary>Crash time of the oldest waiting archive.</summary>
    public long? OldestWaitingTime { get; init; }
    public long? OldestWaitingAgeSeconds { get; init; }
    /// <summary>Bytes of archives with their reports and markers.</summary>
    public long ArchiveBytes { get; init; }
    /// <summary>Archives by what became of the archive itself (archive_upload; two-stage delivery: uploaded on
    /// request, not requested, requested and waiting, refused).</summary>
    public SortedDictionary<string, int> ArchiveUploads { get; init; } = new(StringComparer.Ordinal);
    public int OutboxReports { get; init; }
    public long OutboxBytes { get; init; }
    /// <summary>Directories that could not be read (each named on stderr).</summary>
    public List<string> Problems { get; init; } = [];

    public static HealthCounters From(IEnumerable<HealthInput> archives, long suppressed, int outboxReports, long outboxBytes,
        List<string> problems, long now)
    {
        var all = archives.ToList();
        var waiting = all.Where(a => a.State is "pending" or "processed").ToList();
        SortedDictionary<string, int> ByState(bool drop)
        {
            var d = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var s in States) d[s] = all.Count(a => a.Drop == drop && a.State == s);
            return d;
        }
        var reasons = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in KnownDropReasons) reasons[r] = 0;
        foreach (var a in all.Where(a => a.Drop)) reasons[ReasonLabel(a.DropReason)] = reasons.GetValueOrDefault(ReasonLabel(a.DropReason)) + 1;
        var uploads = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var u in ArchiveUploadValues) uploads[u] = all.Count(a => a.ArchiveUpload == u);
        long? oldest = waiting.Count > 0 ? waiting.Min(a => a.Time) : null;
        return new HealthCounters
        {
            GeneratedAt = now, Captured = all.Count(a => !a.Drop), DropRecords = all.Count(a => a.Drop), DroppedByReason = reasons,
            Suppressed = suppressed, CoreArchivesByState = ByState(false), DropRecordsByState = ByState(true),
            Delivered = all.Count(a => a.State == "submitted"), Rejected = all.Count(a => a.State == "rejected"),
            Waiting = waiting.Count, Failed = waiting.Count(a => a.Attempts > 0),
            OldestWaitingTime = oldest, OldestWaitingAgeSeconds = oldest is long o ? Math.Max(0, now - o) : null,
            ArchiveBytes = all.Sum(a => a.Bytes), ArchiveUploads = uploads, OutboxReports = outboxReports, OutboxBytes = outboxBytes, Problems = problems,
        };
    }

    /// <summary>A drop reason as a label: the metadata is read from disk, so anything but a short [a-z_] word is
    /// counted as "other" (and a missing one as "unknown").</summary>
    public static string ReasonLabel(string? reason) =>
        reason is null ? "unknown"
        : reason.Length is > 0 and <= 32 && reason.All(c => c is >= 'a' and <= 'z' or '_') ? reason : "other";

    /// <summary>The suppressed count of one daemon's .ratelimit ("&lt;start&gt; &lt;captures&gt; &lt;suppressed&gt;").</summary>
    public static long SuppressedOf(string? rateFile)
    {
        var parts = rateFile?.Trim().Split(' ');
        return parts is [_, _, var s] && long.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) ? n : 0;
    }
}
