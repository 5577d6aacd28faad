using Microsoft.Win32.SafeHandles;
using CoreDump.Native;

namespace CoreDump.Store;

/// <summary>An open, verified directory: every file operation below it goes through *at() calls on this
/// descriptor with O_NOFOLLOW, so a path swapped for a symlink after the check cannot redirect a write.</summary>
internal sealed class SafeDirectory : IDisposable
{
    public int Fd { get; private set; }
    public string Path { get; }

    private SafeDirectory(int fd, string path) { Fd = fd; Path = path; }

    /// <summary>Opens (creating if missing, with <paramref name="mode"/>) a directory that must not be a symlink,
    /// must belong to us and must not be writable by group or others.</summary>
    public static SafeDirectory? Open(int parentFd, string name, string path, uint mode, bool create, out string? refusal)
    {
        refusal = null;
        if (create)
        {
            int mk = Posix.MkdirAt(parentFd, name, mode);
            if (mk < 0 && mk != -Posix.EEXIST) { refusal = $"cannot create {path}: {Posix.Describe(-mk)}"; return null; }
        }
        int fd = Posix.OpenAt(parentFd, name, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW);
        if (fd < 0)
        {
            refusal = -fd == Posix.ELOOP || -fd == 20 /* ENOTDIR */ ? $"{path} is a symlink or not a directory; refused" : $"cannot open {path}: {Posix.Describe(-fd)}";
            return null;
        }
        if (!Posix.TryFstat(fd, out var st) || !st.IsDirectory) { Posix.Close(fd); refusal = $"{path} is not a directory; refused"; return null; }
        if (st.Uid != Posix.Geteuid()) { Posix.Close(fd); refusal = $"{path} is owned by uid {st.Uid}, not {Posix.Geteuid()}; refused"; return null; }
        if ((st.Mode & 0x12) != 0) { Posix.Close(fd); refusal = $"{path} is writable by group or others (mode {Convert.ToString(st.Mode & 0xfff, 8)}); refused"; return null; }
        return new SafeDirectory(fd, path);
    }

    /// <summary>Opens an absolute path, creating missing components (0755); only the last component is verified.</summary>
    public static SafeDirectory? OpenPath(string absolute, uint mode, out string? refusal)
    {
        string parent = System.IO.Path.GetDirectoryName(absolute) ?? "/";
        if (absolute == "/") { refusal = "corepath / refused"; return null; }
        if (!Directory.Exists(parent))
        {
            try { Directory.CreateDirectory(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute); }
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

    private static SafeDirectory? OpenUnderParent(string absolute, uint mode, bool create, out string? refusal)
    {
        string parent = System.IO.Path.GetDirectoryName(absolute) ?? "/";
        int pfd = Posix.OpenAt(-100 /* AT_FDCWD */, parent, Posix.O_RDONLY | Posix.O_DIRECTORY);
        if (pfd < 0) { refusal = $"cannot open {parent}: {Posix.Describe(-pfd)}"; return null; }
        try { return Open(pfd, System.IO.Path.GetFileName(absolute), absolute, mode, create, out refusal); }
        finally { Posix.Close(pfd); }
    }

    public SafeDirectory? OpenChild(string name, uint mode, bool create, out string? refusal) =>
        Open(Fd, name, System.IO.Path.Combine(Path, name), mode, create, out refusal);

    /// <summary>Names in this directory, read through the descriptor (not the path).</summary>
    public List<string> List()
    {
        string via = $"/proc/self/fd/{Fd}";
        string dir = Directory.Exists(via) ? via : Path;
        try { return Directory.EnumerateFileSystemEntries(dir).Select(p => System.IO.Path.GetFileName(p)).ToList(); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    public bool TryLock(bool wait) => Posix.Flock(Fd, Posix.LOCK_EX | (wait ? 0 : Posix.LOCK_NB)) == 0;
    public void Unlock() => Posix.Flock(Fd, Posix.LOCK_UN);

    /// <summary>Creates a new regular file exclusively (never following or replacing anything).</summary>
    public SafeFileHandle? CreateExclusive(string name, uint mode, out int errno)
    {
        int fd = Posix.OpenAt(Fd, name, Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW, mode);
        errno = fd < 0 ? -fd : 0;
        return fd < 0 ? null : Posix.Handle(fd);
    }

    /// <summary>Opens an existing regular file without following a symlink.</summary>
    public SafeFileHandle? OpenExisting(string name, bool write, out int errno)
    {
        int fd = Posix.OpenAt(Fd, name, (write ? Posix.O_RDWR : Posix.O_RDONLY) | Posix.O_NOFOLLOW | Posix.O_NONBLOCK);
        errno = fd < 0 ? -fd : 0;
        if (fd < 0) return null;
        if (!Posix.TryFstat(fd, out var st) || !st.IsRegular) { Posix.Close(fd); errno = 21; return null; }
        return Posix.Handle(fd);
    }

    /// <summary>At most <paramref name="max"/> bytes of a small file (a marker, a counter); null when it
    /// cannot be opened or read. Opened with O_NOFOLLOW, so a planted link reads as missing.</summary>
    public byte[]? ReadSmall(string name, int max)
    {
        using var h = OpenExisting(name, write: false, out _);
        if (h is null) return null;
        long size = Posix.TryFstat((int)h.DangerousGetHandle(), out var st) ? st.Size : max;
        var buf = new byte[(int)Math.Min(Math.Max(size, 0), max)];
        int n = 0;
        try
        {
            while (n < buf.Length)
            {
                int r = RandomAccess.Read(h, buf.AsSpan(n), n);
                if (r <= 0) break;
                n += r;
            }
        }
        catch (IOException) { return null; }
        return buf[..n];
    }

    public bool IsRegularFile(string name) => Posix.TryLStatAt(Fd, name, out var st) && st.IsRegular;
    public bool TryStat(string name, out Posix.Stat st) => Posix.TryLStatAt(Fd, name, out st);
    public int Rename(string from, string to) => Posix.RenameAt(Fd, from, to);
    public int Unlink(string name) => Posix.UnlinkAt(Fd, name);
    public int Sync() => Posix.Fsync(Fd);

    /// <summary>Writes a small file atomically: exclusive temporary, fsync, rename over the target.</summary>
    /// <param name="durable">fsync the file and the directory (skip for bookkeeping that may be lost)</param>
    public bool WriteAtomically(string name, ReadOnlySpan<byte> content, uint mode, out string? error, bool durable = true)
    {
        string tmp = $".{name}.{Posix.Getpid()}.w";
        Unlink(tmp);
        using (var h = CreateExclusive(tmp, mode, out int e))
        {
            if (h is null) { error = $"cannot create {tmp}: {Posix.Describe(e)}"; return false; }
            try { RandomAccess.Write(h, content, 0); }
            catch (IOException ex) { Unlink(tmp); error = ex.Message; return false; }
            if (durable) Posix.Fsync((int)h.DangerousGetHandle());
        }
        int r = Rename(tmp, name);
        if (r < 0) { Unlink(tmp); error = Posix.Describe(-r); return false; }
        if (durable) Sync();
        error = null;
        return true;
    }

    public void Dispose()
    {
        if (Fd >= 0) Posix.Close(Fd);
        Fd = -1;
    }
}
