using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>`info ARCHIVE --json`: the row `list --json` shows, the marker's delivery bookkeeping and the report
/// text (null before analysis). snake_case keys, like `list --json`.</summary>
internal sealed record InfoView : ListEntry
{
    public bool HasMarker { get; init; }
    public bool DropRecord { get; init; }
    public long? LastAttempt { get; init; }
    public string? DeliveredTo { get; init; }
    public long? DeliveredAt { get; init; }
    public string? ArchiveDetail { get; init; }
    public long? ArchiveUploadedAt { get; init; }
    public string? ServerCrashId { get; init; }
    public string? Report { get; init; }

    private InfoView(ListEntry row) : base(row) { }

    public static InfoView Of(ArchiveRef a, string? report) => new(a.ToListEntry())
    {
        HasMarker = a.HasMarker, DropRecord = a.Name.Drop, LastAttempt = a.Marker.LastAttempt,
        DeliveredTo = a.Marker.DeliveredTo, DeliveredAt = a.Marker.DeliveredAt, ArchiveDetail = a.Marker.ArchiveDetail,
        ArchiveUploadedAt = a.Marker.ArchiveUploadedAt, ServerCrashId = a.Marker.ServerCrashId, Report = report,
    };
}
