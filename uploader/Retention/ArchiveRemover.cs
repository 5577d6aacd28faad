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
                list.Add((a, new VacuumItem(a.Path, a.Name.UnixTime, BytesWithCompanions(a, dir), ArchiveRef.StateName(a.State))));
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
        dir.TryLock(wait: true);
        try
        {
            if (!dir.TryStat(a.FileName, out var st) || st.Ino != a.Inode) return $"{a.FileName} was removed or replaced meanwhile";
            int rc = dir.Unlink(a.FileName);
            if (rc < 0) return $"cannot remove {a.Path}: {Posix.Describe(-rc)}";
            foreach (var c in StateFiles.Companions(a.FileName))
                if (dir.IsRegularFile(c)) dir.Unlink(c);
            dir.Sync();
            return null;
        }
        finally { dir.Unlock(); }
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
        dir.Unlink(tmp);
        long newSize;
        using (var h = dir.CreateExclusive(tmp, 0x1a0, out int e)) // 0640, like the archive
        {
            if (h is null) { error = $"cannot create {tmp}: {Posix.Describe(e)}"; return null; }
            try
            {
                using var output = new FileStream(h, FileAccess.ReadWrite);
                ArchiveMembers.WriteWithoutCore(a.Path, output);
                output.Flush(flushToDisk: true);
                newSize = output.Length;
            }
            catch (Exception x) when (x is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                dir.Unlink(tmp);
                error = x.Message;
                return null;
            }
        }
        dir.TryLock(wait: true);
        try
        {
            if (!dir.TryStat(a.FileName, out var st) || st.Ino != a.Inode)
            {
                dir.Unlink(tmp);
                error = $"{a.FileName} was removed or replaced meanwhile";
                return null;
            }
            int rc = dir.Rename(tmp, a.FileName);
            if (rc < 0) { dir.Unlink(tmp); error = $"rename over {a.FileName}: {Posix.Describe(-rc)}"; return null; }
            dir.Sync();
        }
        finally { dir.Unlock(); }
        error = null;
        return a.Size - newSize;
    }
}
