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

    public ListEntry ToListEntry() => new()
    {
        Archive = FileName, Path = Path, Daemon = Daemon, Slot = Name.Slot, Time = Name.UnixTime, State = ArchiveStates.Name(State),
        Size = Size, Signal = Marker.Signal, SignalName = SignalNames.Name(Marker.Signal), Signature = Marker.Signature,
        ReportId = Marker.ReportId, Attempts = Marker.Attempts, NextAttempt = Marker.NextAttempt, LastError = Marker.LastError,
        HasReport = HasReport,
    };
}
