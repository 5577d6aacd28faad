using CoreDump.Native;
using CoreDump.Store;
using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Retention;

/// <summary>The two changes retention makes on disk, each under the daemon directory's flock (the lock cdm holds
/// while it publishes or rotates a slot) and only while the archive is still the file that was planned for.</summary>
internal static class ArchiveRemover
{
    /// <summary>The bytes an archive occupies with its companions (report and marker).</summary>
    public static long BytesWithCompanions(ArchiveRef a, SafeDirectory dir) =>
        a.Size + StateFiles.Companions(a.FileName).Sum(n => dir.TryStat(n, out var st) && st.IsRegular ? st.Size : 0);

    /// <summary>All archives under corepath as vacuum items (problems reading a directory are collected).</summary>
    public static List<(ArchiveRef Archive, VacuumItem Item)> Items(string corePath, List<string> problems)
    {
        var list = new List<(ArchiveRef, VacuumItem)>();
        foreach (var group in ArchiveScanner.Scan(corePath, problems).GroupBy(a => a.DaemonDir))
        {
            using var dir = SafeDirectory.OpenExistingPath(group.Key, out var refusal);
            if (dir is null) { problems.Add(refusal ?? $"cannot open {group.Key}"); continue; }
            foreach (var a in group)
                list.Add((a, new VacuumItem(a.Path, a.Name.UnixTime, BytesWithCompanions(a, dir), ArchiveStates.Name(a.State))));
        }
        return list;
    }

    /// <summary>Removes the archive, then its marker and report (in this order: a marker left by a kill in
    /// between belongs to no archive and is ignored, whereas an archive left without its marker would count as
    /// pending and be reported again). Null when done, else why not.</summary>
    public static string? Remove(ArchiveRef a)
    {
        using var dir = SafeDirectory.OpenExistingPath(a.DaemonDir, out var refusal);
        if (dir is null) return refusal ?? $"cannot open {a.DaemonDir}";
        try
        {
            using var held = dir.Lock();
            if (!dir.TryStat(a.FileName, out var st) || st.Ino != a.Inode) return $"{a.FileName} was removed or replaced meanwhile";
            if (!dir.TryUnlink(a.FileName)) return $"{a.FileName} was removed meanwhile";
            foreach (var c in StateFiles.Companions(a.FileName))
                if (dir.IsRegularFile(c)) _ = dir.TryUnlink(c); // gone already is as good
            dir.Sync();
            return null;
        }
        catch (IOException e) { return $"cannot remove {a.Path}: {e.Message}"; }
    }

    /// <summary>Replaces a delivered archive by a copy without its core (os-release and metadata.json; the marker
    /// and report stay beside it). The copy is written beside the archive as a hidden ".&lt;name&gt;.&lt;pid&gt;.w"
    /// temporary (a kill leaves one the next pass removes) without holding the lock, so cdm is never kept waiting
    /// while a large core is read; the lock is taken only to check the archive is unchanged and rename the copy
    /// over it. Returns the bytes freed, or null with <paramref name="error"/>.</summary>
    public static long? RemoveCore(ArchiveRef a, out string? error)
    {
        using var dir = SafeDirectory.OpenExistingPath(a.DaemonDir, out var refusal);
        if (dir is null) { error = refusal ?? $"cannot open {a.DaemonDir}"; return null; }
        string tmp = $".{a.FileName}.{Posix.Getpid()}.w";
        long newSize;
        try
        {
            _ = dir.TryUnlink(tmp); // a leftover of a killed pass, if any
            using var h = dir.CreateExclusive(tmp, FileModes.Mode0640); // like the archive
            using var output = new FileStream(h, FileAccess.ReadWrite);
            ArchiveMembers.WriteWithoutCore(a.Path, output);
            output.Flush(flushToDisk: true);
            newSize = output.Length;
        }
        catch (Exception x) when (x is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            try { _ = dir.TryUnlink(tmp); } catch (IOException) { } // the next pass removes it
            error = x.Message;
            return null;
        }
        try
        {
            using var held = dir.Lock();
            if (!dir.TryStat(a.FileName, out var st) || st.Ino != a.Inode)
            {
                _ = dir.TryUnlink(tmp);
                error = $"{a.FileName} was removed or replaced meanwhile";
                return null;
            }
            dir.Rename(tmp, a.FileName);
            dir.Sync();
        }
        catch (IOException x)
        {
            try { _ = dir.TryUnlink(tmp); } catch (IOException) { } // the next pass removes it
            error = $"rename over {a.FileName}: {x.Message}";
            return null;
        }
        error = null;
        return a.Size - newSize;
    }
}
