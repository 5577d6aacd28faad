using CoreDump.Naming;
using CoreDump.Store;

namespace CoreDump.Uploader.Markers;

/// <summary>Finds every archive under corepath and its state, whatever state the disk is in (a crash or a
/// kill can stop cdm or the uploader between any two steps): archives without a marker count as pending; if a crash ever left two markers, the most
/// advanced one counts; a marker that is not a regular file does not count.</summary>
internal static class ArchiveScanner
{
    private static readonly ArchiveState[] Precedence = [ArchiveState.Submitted, ArchiveState.Rejected, ArchiveState.Processed, ArchiveState.Pending];

    public static List<ArchiveRef> Scan(string corePath, List<string> problems)
    {
        var found = new List<ArchiveRef>();
        foreach (var (daemon, dir) in DaemonDirectories(corePath, problems))
            found.AddRange(ScanDaemon(corePath, daemon, dir));
        return found;
    }

    /// <summary>Each daemon directory under corepath in name order (hidden names and anything not a directory
    /// skipped), opened without following a link; each is disposed when the next one is asked for. What
    /// cannot be opened is added to <paramref name="problems"/>.</summary>
    public static IEnumerable<(string Name, SafeDirectory Dir)> DaemonDirectories(string corePath, List<string>? problems = null)
    {
        using var root = SafeDirectory.OpenExistingPath(corePath, out var refusal);
        if (refusal is not null) problems?.Add(refusal);
        if (root is null) yield break;
        foreach (var daemon in root.List().Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal))
        {
            if (!root.TryStat(daemon, out var st) || !st.IsDirectory) continue;
            using var dir = root.OpenChild(daemon, 0, create: false, out var r);
            if (dir is null) { problems?.Add(r ?? $"cannot open {daemon}"); continue; }
            yield return (daemon, dir);
        }
    }

    public static List<ArchiveRef> ScanDaemon(string corePath, string daemon, SafeDirectory dir)
    {
        var names = dir.List().ToHashSet(StringComparer.Ordinal);
        var list = new List<ArchiveRef>();
        foreach (var file in names.Order(StringComparer.Ordinal))
        {
            if (ArchiveName.Parse(file, daemon) is not ArchiveName name) continue;
            if (!dir.TryStat(file, out var st) || !st.IsRegular) continue;
            // a marker counts only as a regular file: a planted link or directory is ignored (and replaced by the next rename)
            var state = Precedence.Where(s => names.Contains(StateFiles.Marker(file, s)) && dir.IsRegularFile(StateFiles.Marker(file, s)))
                .Cast<ArchiveState?>().FirstOrDefault();
            var marker = state is ArchiveState s0 ? ReadMarker(dir, StateFiles.Marker(file, s0)) : new MarkerInfo();
            list.Add(new ArchiveRef(corePath, name, state ?? ArchiveState.Pending, state is not null, marker, st.Size, st.Ino,
                names.Contains(file + StateFiles.ReportSuffix)));
        }
        return list;
    }

    public static MarkerInfo ReadMarker(SafeDirectory dir, string marker) =>
        dir.ReadSmall(marker, 64 * 1024) is byte[] b ? MarkerInfo.Parse(b) : new MarkerInfo();
}
