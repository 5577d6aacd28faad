using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>`info ARCHIVE --json`: the row `list --json` shows, the marker's delivery bookkeeping and the report
/// text (null before analysis). snake_case keys, like `list --json`.</summary>
internal sealed record InfoView
{
    public string Archive { get; init; } = "";
    public string Path { get; init; } = "";
    public string Daemon { get; init; } = "";
    public int Slot { get; init; }
    public long Time { get; init; }
    public string State { get; init; } = "";
    public bool HasMarker { get; init; }
    public bool DropRecord { get; init; }
    public long Size { get; init; }
    public int? Signal { get; init; }
    public string? SignalName { get; init; }
    public string? Signature { get; init; }
    public string? ReportId { get; init; }
    public int Attempts { get; init; }
    public long? LastAttempt { get; init; }
    public long? NextAttempt { get; init; }
    public string? LastError { get; init; }
    public string? DeliveredTo { get; init; }
    public long? DeliveredAt { get; init; }
    public string? Report { get; init; }

    public static InfoView Of(ArchiveRef a, string? report)
    {
        var e = a.ToListEntry();
        return new InfoView
        {
            Archive = e.Archive, Path = e.Path, Daemon = e.Daemon, Slot = e.Slot, Time = e.Time, State = e.State, HasMarker = a.HasMarker,
            DropRecord = a.Name.Drop, Size = e.Size, Signal = e.Signal, SignalName = e.SignalName, Signature = e.Signature, ReportId = e.ReportId,
            Attempts = e.Attempts, LastAttempt = a.Marker.LastAttempt, NextAttempt = e.NextAttempt, LastError = e.LastError,
            DeliveredTo = a.Marker.DeliveredTo, DeliveredAt = a.Marker.DeliveredAt, Report = report,
        };
    }
}
