namespace CoreDump.Store;

/// <summary>corewatcher's states, kept as one marker file beside each archive (docs/markers.md).
/// A marker moves between states only by rename(2), so exactly one exists at any time.</summary>
internal enum ArchiveState { Pending, Processed, Submitted, Rejected }

internal static class StateFiles
{
    public const string ReportSuffix = ".report";

    public static string Suffix(ArchiveState s) => s switch
    {
        ArchiveState.Pending => ".pending",
        ArchiveState.Processed => ".processed",
        ArchiveState.Submitted => ".submitted",
        ArchiveState.Rejected => ".rejected",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static IEnumerable<ArchiveState> All => Enum.GetValues<ArchiveState>();

    public static string Marker(string archiveFile, ArchiveState s) => archiveFile + Suffix(s);

    /// <summary>Every file that belongs to an archive besides the archive itself.</summary>
    public static IEnumerable<string> Companions(string archiveFile) =>
        All.Select(s => Marker(archiveFile, s)).Append(archiveFile + ReportSuffix);
}
