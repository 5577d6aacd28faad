using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Uploader.Markers;

/// <summary>Writes reports and moves markers for one archive. Every change happens under the daemon
/// directory's flock (the one cdm holds while it publishes or rotates a slot) and only while the archive
/// is still the same file, so a report is never written beside an archive cdm has just replaced.
/// Markers move only by rename(2): content is first rewritten atomically under the current name.</summary>
internal sealed class MarkerStore(SafeDirectory dir, ArchiveRef archive) 
{
    public const UnixFileMode FileMode = FileModes.Mode0640;

    public ArchiveState State { get; private set; } = archive.State;
    public bool HasMarker { get; private set; } = archive.HasMarker;
    public MarkerInfo Marker { get; private set; } = archive.Marker;

    private string Name(ArchiveState s) => StateFiles.Marker(archive.FileName, s);

    /// <summary>Runs <paramref name="change"/> under the directory lock if the archive is unchanged.</summary>
    private bool Locked(Func<string?> change, out string? error)
    {
        try
        {
            using var held = dir.Lock();
            if (!dir.TryStat(archive.FileName, out var st) || st.Ino != archive.Inode)
            {
                error = $"{archive.FileName} was removed or replaced meanwhile (slot rotation)";
                return false;
            }
            error = change();
        }
        catch (IOException e) { error = e.Message; }
        return error is null;
    }

    public bool WriteReport(string text, out string? error) =>
        Locked(() => { dir.WriteAtomically(archive.FileName + StateFiles.ReportSuffix, System.Text.Encoding.UTF8.GetBytes(text), FileMode); return null; }, out error);

    /// <summary>Rewrites the bookkeeping without changing state.</summary>
    public bool Update(MarkerInfo info, out string? error) => Move(State, info, out error);

    /// <summary>Changes state to <paramref name="to"/> with <paramref name="info"/> as the marker's content.</summary>
    public bool Move(ArchiveState to, MarkerInfo info, out string? error)
    {
        bool ok = Locked(() =>
        {
            string current = Name(State);
            if (!HasMarker || to == State)
            {
                dir.WriteAtomically(Name(to), info.ToJson(), FileMode);
                return null;
            }
            dir.WriteAtomically(current, info.ToJson(), FileMode);
            dir.Rename(current, Name(to));
            // ignored on purpose: the move is made; lost to a power cut, the marker is found in its earlier
            // state and that step is done again
            try { dir.Sync(); } catch (PosixException) { }
            return null;
        }, out error);
        if (ok) { State = to; HasMarker = true; Marker = info; }
        return ok;
    }
}
