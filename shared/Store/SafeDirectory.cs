using CoreDump.Native;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Store;

/// <summary>An open, verified directory: every file operation below it goes through *at() calls on this
/// descriptor with O_NOFOLLOW, so a path swapped for a symlink after the check cannot redirect a write.
/// Failed calls throw <see cref="PosixException"/>; <c>Try…</c> members answer false (or null) only for
/// "nothing there".</summary>
internal sealed class SafeDirectory : IDisposable
{
    public SafeDirectoryHandle Handle { get; }
    public string Path { get; }

    private SafeDirectory(SafeDirectoryHandle handle, string path) { Handle = handle; Path = path; }

    /// <summary>Opens (creating if missing, with <paramref name="mode"/>) a directory that must not be a symlink,
    /// must belong to us and must not be writable by group or others. Null with the refusal otherwise.</summary>
    public static SafeDirectory? Open(SafeDirectoryHandle parent, string name, string path, UnixFileMode mode, bool create, out string? refusal)
    {
        refusal = null;
        if (create)
        {
            try { _ = Posix.TryMkdirAt(parent, name, mode); } // already there: verified below like any other
            catch (PosixException e) { refusal = $"cannot create {path}: {Posix.Describe(e.Errno)}"; return null; }
        }
        SafeDirectoryHandle h;
        try { h = Posix.OpenDirectoryAt(parent, name, Posix.O_RDONLY | Posix.O_NOFOLLOW); }
        catch (PosixException e)
        {
            refusal = e.Errno is Posix.ELOOP or Posix.ENOTDIR ? $"{path} is a symlink or not a directory; refused" : $"cannot open {path}: {Posix.Describe(e.Errno)}";
            return null;
        }
        refusal = Refusal(h, path);
        if (refusal is null) return new SafeDirectory(h, path);
        h.Dispose();
        return null;
    }

    /// <summary>Why the open directory is not ours to use, or null when it is.</summary>
    private static string? Refusal(SafeDirectoryHandle h, string path)
    {
        Posix.Stat st;
        try { st = Posix.Fstat(h, path); }
        catch (PosixException e) { return $"cannot stat {path}: {Posix.Describe(e.Errno)}"; }
        if (!st.IsDirectory) return $"{path} is not a directory; refused";
        if (st.Uid != Posix.Geteuid()) return $"{path} is owned by uid {st.Uid}, not {Posix.Geteuid()}; refused";
        if ((st.Permissions & FileModes.GroupOrOtherWrite) != 0)
            return $"{path} is writable by group or others (mode {Convert.ToString((int)st.Permissions, 8)}); refused";
        return null;
    }

    /// <summary>Opens an absolute path, creating missing components (0755); only the last component is verified.</summary>
    public static SafeDirectory? OpenPath(string absolute, UnixFileMode mode, out string? refusal)
    {
        string parent = System.IO.Path.GetDirectoryName(absolute) ?? "/";
        if (absolute == "/") { refusal = "corepath / refused"; return null; }
        if (!Directory.Exists(parent))
        {
            try { Directory.CreateDirectory(parent, FileModes.Mode0755); }
            catch (Exception e) { refusal = $"cannot create {parent}: {e.Message}"; return null; }
        }
        return OpenUnderParent(absolute, mode, create: true, out refusal);
    }

    /// <summary>Opens an existing directory by absolute path (same checks, nothing created); null with no
    /// refusal when nothing is there.</summary>
    public static SafeDirectory? OpenExistingPath(string absolute, out string? refusal)
    {
        refusal = null;
        if (!Directory.Exists(absolute) && !File.Exists(absolute)) return null;
        return OpenUnderParent(absolute, 0, create: false, out refusal);
    }

    private static SafeDirectory? OpenUnderParent(string absolute, UnixFileMode mode, bool create, out string? refusal)
    {
        string parent = System.IO.Path.GetDirectoryName(absolute) ?? "/";
        SafeDirectoryHandle p;
        try { p = Posix.OpenDirectoryAt(SafeDirectoryHandle.CurrentDirectory, parent, Posix.O_RDONLY); }
        catch (PosixException e) { refusal = $"cannot open {parent}: {Posix.Describe(e.Errno)}"; return null; }
        using (p) return Open(p, System.IO.Path.GetFileName(absolute), absolute, mode, create, out refusal);
    }

    public SafeDirectory? OpenChild(string name, UnixFileMode mode, bool create, out string? refusal) =>
        Open(Handle, name, System.IO.Path.Combine(Path, name), mode, create, out refusal);

    /// <summary>Names in this directory, read through the descriptor (not the path); empty when it cannot be
    /// listed (callers treat that as "nothing there": no slot taken, nothing to clean).</summary>
    public List<string> List()
    {
        string via = Handle.ProcPath;
        string dir = Directory.Exists(via) ? via : Path;
        try { return Directory.EnumerateFileSystemEntries(dir).Select(p => System.IO.Path.GetFileName(p)).ToList(); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    /// <summary>Waits for the directory's exclusive flock; the lock lasts until the scope is disposed.</summary>
    public DirectoryLock Lock()
    {
        Posix.Flock(Handle, Posix.LOCK_EX, Path);
        return new DirectoryLock(Handle);
    }

    /// <summary>The directory's exclusive flock if nobody holds it now, else null.</summary>
    public DirectoryLock? TryLock() => Posix.TryFlock(Handle, Posix.LOCK_EX, Path) ? new DirectoryLock(Handle) : null;

    /// <summary>Creates a new regular file exclusively (never following or replacing anything).</summary>
    public SafeFileHandle CreateExclusive(string name, UnixFileMode mode) =>
        Posix.OpenAt(Handle, name, Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, mode);

    /// <summary>Opens an existing regular file without following a symlink and without blocking on a FIFO.
    /// Null when no regular file is at the name: nothing there, a symlink (O_NOFOLLOW refuses it), a
    /// directory, a FIFO or a device. Any other failure throws.</summary>
    public SafeFileHandle? TryOpenRegular(string name, bool write)
    {
        var h = Posix.TryOpenAt(Handle, name, (write ? Posix.O_RDWR : Posix.O_RDONLY) | Posix.O_NOFOLLOW | Posix.O_NONBLOCK, out int errno);
        if (h is null)
            return errno is Posix.ENOENT or Posix.ELOOP or Posix.EISDIR or Posix.ENXIO ? null : throw new PosixException("openat", name, errno);
        if (Posix.Fstat(h, name).IsRegular) return h;
        h.Dispose();
        return null;
    }

    /// <summary>At most <paramref name="max"/> bytes of a small file (a marker, a counter); null when it
    /// cannot be opened or read: its callers fall back to "absent" (no bookkeeping, a fresh counter).
    /// Opened with O_NOFOLLOW, so a planted link reads as missing.</summary>
    public byte[]? ReadSmall(string name, int max)
    {
        try
        {
            using var h = TryOpenRegular(name, write: false);
            if (h is null) return null;
            var buf = new byte[(int)Math.Min(Math.Max(Posix.Fstat(h, name).Size, 0), max)];
            int n = 0;
            while (n < buf.Length)
            {
                int r = RandomAccess.Read(h, buf.AsSpan(n), n);
                if (r <= 0) break;
                n += r;
            }
            return buf[..n];
        }
        catch (IOException) { return null; }
    }

    public bool IsRegularFile(string name) => Posix.TryLStatAt(Handle, name, out var st) && st.IsRegular;

    /// <summary>lstat of a name in this directory; false when nothing is there.</summary>
    public bool TryStat(string name, out Posix.Stat st) => Posix.TryLStatAt(Handle, name, out st);

    public void Rename(string from, string to) => Posix.RenameAt(Handle, from, to);

    /// <summary>Removes a name; false when it was not there.</summary>
    public bool TryUnlink(string name) => Posix.TryUnlinkAt(Handle, name);

    public void Sync() => Posix.Fsync(Handle, Path);

    /// <summary>Writes a small file atomically: exclusive temporary, fsync, rename over the target, fsync of the
    /// directory. Throws on any failure; the temporary is removed when the rename did not happen. A throw
    /// from the directory's fsync means the new content is in place but may not survive a power loss.</summary>
    /// <param name="durable">fsync the file and the directory (skip for bookkeeping that may be lost)</param>
    public void WriteAtomically(string name, ReadOnlySpan<byte> content, UnixFileMode mode, bool durable = true)
    {
        string tmp = $".{name}.{Posix.Getpid()}.w";
        _ = TryUnlink(tmp); // a killed writer's leftover with our pid; usually not there
        try
        {
            using (var h = CreateExclusive(tmp, mode))
            {
                RandomAccess.Write(h, content, 0);
                // before the rename: content that may not be on disk must not replace the target. An empty file
                // has none: its creation reaches the disk with the directory's fsync below (a marker costs a
                // crash one journal commit, not two).
                if (durable && !content.IsEmpty) Posix.Fsync(h, System.IO.Path.Combine(Path, tmp));
            }
            Rename(tmp, name);
        }
        catch (IOException)
        {
            try { _ = TryUnlink(tmp); }
            catch (PosixException) { } // the first failure is the one to report; a leftover is removed later
            throw;
        }
        if (durable) Sync();
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>A held flock on a <see cref="SafeDirectory"/>; disposing it unlocks (once).</summary>
internal sealed class DirectoryLock(SafeDirectoryHandle handle) : IDisposable
{
    private bool _released;

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        Posix.Unlock(handle);
    }
}
