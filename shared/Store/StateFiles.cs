namespace CoreDump.Store;

/// <summary>The files beside an archive: one state marker (archive + "." + state name) and the report.</summary>
internal static class StateFiles
{
    public const string ReportSuffix = ".report";

    public static string Suffix(ArchiveState s) => "." + ArchiveStates.Name(s);

    public static string Marker(string archiveFile, ArchiveState s) => archiveFile + Suffix(s);

    /// <summary>Every file that belongs to an archive besides the archive itself.</summary>
    public static IEnumerable<string> Companions(string archiveFile) =>
        ArchiveStates.All.Select(s => Marker(archiveFile, s)).Append(archiveFile + ReportSuffix);
}
