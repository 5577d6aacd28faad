using CoreDump.Naming;
using CoreDump.Store;
using CoreDump.Uploader.Report;

namespace CoreDump.Uploader.Markers;

/// <summary>One published archive as found on disk, with its current marker.</summary>
internal sealed record ArchiveRef(string CorePath, ArchiveName Name, ArchiveState State, bool HasMarker, MarkerInfo Marker,
    long Size, ulong Inode, bool HasReport)
{
    public string Daemon => Name.Daemon;
    public string FileName => Name.FileName;
    public string DaemonDir => System.IO.Path.Combine(CorePath, Name.Daemon);
    public string Path => System.IO.Path.Combine(DaemonDir, FileName);
    public string ReportPath => Path + StateFiles.ReportSuffix;
    public string MarkerPath => StateFiles.Marker(Path, State);

    /// <summary>Delivery needs the report file and its id in the marker (the marker, not the report text, is
    /// the record of the id; it names the outbox file and is the Idempotency-Key). An archive whose report is
    /// delivered and whose server asked for it needs only the id: the report is never sent again.</summary>
    public bool ReadyToDeliver => State == ArchiveState.Processed && ReportId.LooksValid(Marker.ReportId) && (HasReport || AwaitsArchiveUpload);

    /// <summary>The report is delivered; the archive itself is still to be uploaded to the server that asked for it.</summary>
    public bool AwaitsArchiveUpload => State == ArchiveState.Processed && ArchiveUploads.IsAwaited(Marker);

    /// <summary>A pending archive needs its report; so does a processed one that is not ready to deliver: its
    /// report file is gone, or its marker lost the id (a damaged marker reads as empty).</summary>
    public bool NeedsReport => State == ArchiveState.Pending || (State == ArchiveState.Processed && !ReadyToDeliver);

    public ListEntry ToListEntry() => new()
    {
        Archive = FileName, Path = Path, Daemon = Daemon, Slot = Name.Slot, Time = Name.UnixTime, State = ArchiveStates.Name(State),
        Size = Size, Signal = Marker.Signal, SignalName = SignalNames.Name(Marker.Signal), Signature = Marker.Signature,
        ReportId = Marker.ReportId, Attempts = Marker.Attempts, NextAttempt = Marker.NextAttempt, LastError = Marker.LastError,
        HasReport = HasReport, ArchiveUpload = Marker.ArchiveUpload,
    };
}
