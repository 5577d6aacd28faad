using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Native;

/// <summary>The one place where CoreDump talks to libc directly: *at() calls relative to verified
/// directory descriptors (so no path component can be swapped for a symlink), flock, fsync, pipe size.
/// One error convention: a failed call throws <see cref="PosixException"/> (errno, the call, the path).
/// The few <c>Try…</c> forms answer an expected question ("is it there?", "is it locked?") with false and
/// still throw on any other failure. Descriptors are SafeHandles; the marshaller keeps each one alive
/// (AddRef/Release) for the duration of the call. Constants carry their C names; their values (x86-64
/// Linux, the only target) are checked against the C headers by tests/Shared/NativeLayoutTests.cs.</summary>
internal static partial class Posix
{
    // <fcntl.h>
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200,
        O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    // <sys/mman.h>
    public const uint MFD_CLOEXEC = 1;
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200;
    public const int F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
    // <sys/file.h>
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    // <errno.h>
    public const int ENOENT = 2, EINTR = 4, ENXIO = 6, EAGAIN = 11, EWOULDBLOCK = EAGAIN, EEXIST = 17, ENOTDIR = 20, EISDIR = 21,
        ENOSPC = 28, ENAMETOOLONG = 36, ELOOP = 40;
    // <sys/stat.h>
    public const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000;
    /// <summary>st_blocks counts 512-byte units whatever the filesystem's block size.</summary>
    public const long S_BLKSIZE = 512;
    // <poll.h>
    public const short POLLIN = 1;
    public const int AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    public const int ECONNREFUSED = 111, EMSGSIZE = 90, ENOTSOCK = 88, EPROTOTYPE = 91;

    /// <summary>struct stat as the x86-64 Linux kernel and glibc lay it out (144 bytes; other architectures
    /// order and size the fields differently, and the program is built for linux-x64 only).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public ulong Dev, Ino, Nlink;
        public uint Mode, Uid, Gid;
        private readonly int _pad0;
        public ulong Rdev;
        public long Size, BlkSize, Blocks;
        public long Atime, AtimeNsec, Mtime, MtimeNsec, Ctime, CtimeNsec;
        private readonly long _r0, _r1, _r2;
        public readonly bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;
        public readonly bool IsRegular => (Mode & S_IFMT) == S_IFREG;
        public readonly bool IsSymlink => (Mode & S_IFMT) == S_IFLNK;
        /// <summary>The permission bits (st_mode without the file type).</summary>
        public readonly UnixFileMode Permissions => (UnixFileMode)(Mode & ~S_IFMT);
    }

    /// <summary>struct statvfs as glibc lays it out on x86-64 (112 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct StatVfs
    {
        public ulong BlockSize, FragmentSize, Blocks, BlocksFree, BlocksAvailable, Files, FilesFree, FilesAvailable, FsId, Flags, NameMax;
        private readonly int _s0, _s1, _s2, _s3, _s4, _s5;
        /// <summary>Bytes an unprivileged writer may still use (f_bavail × f_frsize).</summary>
        public readonly long AvailableBytes => (long)Math.Min(BlocksAvailable * FragmentSize, long.MaxValue);
        public readonly long TotalBytes => (long)Math.Min(Blocks * FragmentSize, long.MaxValue);
    }

    /// <summary>struct pollfd (8 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events, Revents; }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAtRaw(SafeHandle dirfd, string path, int flags, uint mode);
    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirAtRaw(SafeHandle dirfd, string path, uint mode);
    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAtRaw(SafeHandle olddirfd, string oldpath, SafeHandle newdirfd, string newpath);
    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkAtRaw(SafeHandle dirfd, string path, int flags);
    [LibraryImport("libc", EntryPoint = "fstatat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FstatAtRaw(SafeHandle dirfd, string path, out Stat st, int flags);
    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FstatRaw(SafeHandle fd, out Stat st);
    [LibraryImport("libc", EntryPoint = "fstatvfs", SetLastError = true)]
    private static partial int FstatVfsRaw(SafeHandle fd, out StatVfs st);
    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockRaw(SafeHandle fd, int op);
    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncRaw(SafeHandle fd);
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlRaw(SafeHandle fd, int cmd, int arg);
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteRaw(SafeHandle fd, byte* buf, nuint count);
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int PollRaw(PollFd* fds, nuint nfds, int timeoutMs);
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int CloseRaw(int fd);
    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FchmodRaw(SafeHandle fd, uint mode);
    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FchownRaw(SafeHandle fd, uint uid, uint gid);
    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketRaw(int domain, int type, int protocol);
    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static unsafe partial nint SendToRaw(SafeHandle fd, byte* buf, nuint len, int flags, byte* addr, uint addrLength);
    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int FutimensRaw(SafeHandle fd, nint times);
    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint UmaskRaw(uint mask);
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();
    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int Getpid();
    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreateRaw(string name, uint flags);

    /// <summary>memfd_create(2): an anonymous file in memory, with no name in any filesystem (close-on-exec).</summary>
    public static SafeFileHandle MemfdCreate(string name) => new(Check(MemfdCreateRaw(name, MFD_CLOEXEC), "memfd_create", name), ownsHandle: true);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GettidRaw();
    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetpriorityRaw(int which, uint who, int prio);

    // <sys/resource.h>
    public const int PRIO_PROCESS = 0;

    /// <summary>Sets the nice value of the calling thread only (Linux: setpriority(PRIO_PROCESS, gettid(), n)
    /// applies to one thread). Raising it needs no privilege; false when refused.</summary>
    public static bool TrySetThreadNice(int nice) => SetpriorityRaw(PRIO_PROCESS, (uint)GettidRaw(), nice) == 0;

    public static int LastErrno => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno) + $" (errno {errno})";

    /// <summary>The syscall boundary's one check: a negative result becomes a <see cref="PosixException"/>
    /// with the errno the call left.</summary>
    public static int Check(int result, string call, string? path = null) =>
        result >= 0 ? result : throw new PosixException(call, path, LastErrno);

    /// <summary>Sets the process's umask; returns the previous one.</summary>
    public static UnixFileMode Umask(UnixFileMode mask) => (UnixFileMode)UmaskRaw((uint)mask);

    /// <summary>openat(2) of a file (O_CLOEXEC added), retried on EINTR.</summary>
    public static SafeFileHandle OpenAt(SafeHandle dir, string path, int flags, UnixFileMode mode = 0) =>
        new(OpenFd(dir, path, flags, mode), ownsHandle: true);

    /// <summary>openat(2) of a directory (O_DIRECTORY and O_CLOEXEC added), retried on EINTR.</summary>
    public static SafeDirectoryHandle OpenDirectoryAt(SafeHandle dir, string path, int flags) =>
        new(OpenFd(dir, path, flags | O_DIRECTORY, 0), ownsHandle: true);

    private static int OpenFd(SafeHandle dir, string path, int flags, UnixFileMode mode)
    {
        int fd = OpenFdOrErrno(dir, path, flags, mode);
        return fd >= 0 ? fd : throw new PosixException("openat", path, -fd);
    }

    /// <summary>openat(2) of a file that may well not be there: null with the errno in <paramref name="errno"/>
    /// instead of an exception (an expected answer costs no throw on the crashed process's time).</summary>
    public static SafeFileHandle? TryOpenAt(SafeHandle dir, string path, int flags, out int errno)
    {
        int fd = OpenFdOrErrno(dir, path, flags, 0);
        errno = fd >= 0 ? 0 : -fd;
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null;
    }

    /// <summary>The descriptor, or -errno; retried on EINTR.</summary>
    private static int OpenFdOrErrno(SafeHandle dir, string path, int flags, UnixFileMode mode)
    {
        while (true)
        {
            int fd = OpenAtRaw(dir, path, flags | O_CLOEXEC, (uint)mode);
            if (fd >= 0) return fd;
            int e = LastErrno;
            if (e != EINTR) return -e;
        }
    }

    public static void MkdirAt(SafeHandle dir, string path, UnixFileMode mode) => Check(MkdirAtRaw(dir, path, (uint)mode), "mkdirat", path);

    /// <summary>mkdir(2) of a directory that may exist already: false when something is at the name.</summary>
    public static bool TryMkdirAt(SafeHandle dir, string path, UnixFileMode mode) =>
        MkdirAtRaw(dir, path, (uint)mode) == 0 || (LastErrno is var e && e == EEXIST ? false : throw new PosixException("mkdirat", path, e));

    public static void RenameAt(SafeHandle dir, string from, string to) => Check(RenameAtRaw(dir, from, dir, to), "renameat", $"{from} → {to}");

    /// <summary>rename(2) of a name that may not exist: false when <paramref name="from"/> is not there.</summary>
    public static bool TryRenameAt(SafeHandle dir, string from, string to) =>
        RenameAtRaw(dir, from, dir, to) == 0 || (LastErrno is var e && e == ENOENT ? false : throw new PosixException("renameat", $"{from} → {to}", e));

    public static void UnlinkAt(SafeHandle dir, string path, int flags = 0) => Check(UnlinkAtRaw(dir, path, flags), "unlinkat", path);

    /// <summary>unlink(2) of a name that may not exist: false when it is not there.</summary>
    public static bool TryUnlinkAt(SafeHandle dir, string path, int flags = 0) =>
        UnlinkAtRaw(dir, path, flags) == 0 || (LastErrno is var e && e == ENOENT ? false : throw new PosixException("unlinkat", path, e));

    public static void Fsync(SafeHandle fd, string? path = null) => Check(FsyncRaw(fd), "fsync", path);
    public static void Fchmod(SafeHandle fd, UnixFileMode mode, string? path = null) => Check(FchmodRaw(fd, (uint)mode), "fchmod", path);
    public static void Fchown(SafeHandle fd, uint uid, uint gid, string? path = null) => Check(FchownRaw(fd, uid, gid), "fchown", path);

    /// <summary>flock(2), retried on EINTR; without LOCK_NB it waits for the lock.</summary>
    public static void Flock(SafeHandle fd, int op, string? path = null)
    {
        while (FlockRaw(fd, op) != 0)
            if (LastErrno is var e && e != EINTR) throw new PosixException("flock", path, e);
    }

    /// <summary>flock(2) with LOCK_NB added: false when another descriptor holds a conflicting lock.</summary>
    public static bool TryFlock(SafeHandle fd, int op, string? path = null)
    {
        while (FlockRaw(fd, op | LOCK_NB) != 0)
        {
            int e = LastErrno;
            if (e == EWOULDBLOCK) return false;
            if (e != EINTR) throw new PosixException("flock", path, e);
        }
        return true;
    }

    /// <summary>flock(LOCK_UN). Its result is ignored on purpose: on a descriptor that is open it cannot fail,
    /// and closing the descriptor releases the lock anyway.</summary>
    public static void Unlock(SafeHandle fd) => _ = FlockRaw(fd, LOCK_UN);

    /// <summary>write(2) of the whole span (retried on EINTR and short writes).</summary>
    public static unsafe void WriteAll(SafeHandle fd, ReadOnlySpan<byte> data, string? path = null)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = WriteRaw(fd, p + done, (nuint)(data.Length - done));
                if (n < 0) { int e = LastErrno; if (e == EINTR) continue; throw new PosixException("write", path, e); }
                done += (int)n;
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for <paramref name="fd"/> to be readable (or at end of
    /// file / hung up): true when it is, false on timeout or a signal.</summary>
    /// <remarks>poll(2) takes descriptors inside an array of structs, which the marshaller cannot fill from a
    /// SafeHandle: the handle is kept alive by hand around the call (the one place that reads the number).</remarks>
    public static unsafe bool PollReadable(SafeHandle fd, int timeoutMs)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            var p = new PollFd { Fd = (int)fd.DangerousGetHandle(), Events = POLLIN };
            int r = PollRaw(&p, 1, timeoutMs);
            if (r > 0) return true;
            if (r == 0 || LastErrno == EINTR) return false;
            throw new PosixException("poll", null, LastErrno);
        }
        finally { if (added) fd.DangerousRelease(); }
    }

    /// <summary>lstat relative to <paramref name="dir"/>: false when nothing is at the name (ENOENT, ENOTDIR,
    /// ELOOP, ENAMETOOLONG: the path leads nowhere); any other failure throws.</summary>
    public static bool TryLStatAt(SafeHandle dir, string path, out Stat st)
    {
        if (FstatAtRaw(dir, path, out st, AT_SYMLINK_NOFOLLOW) == 0) return true;
        int e = LastErrno;
        return e is ENOENT or ENOTDIR or ELOOP or ENAMETOOLONG ? false : throw new PosixException("fstatat", path, e);
    }

    public static Stat Fstat(SafeHandle fd, string? path = null)
    {
        Check(FstatRaw(fd, out var st), "fstat", path);
        return st;
    }

    public static StatVfs FstatVfs(SafeHandle fd, string? path = null)
    {
        Check(FstatVfsRaw(fd, out var st), "fstatvfs", path);
        return st;
    }

    /// <summary>fcntl(F_SETPIPE_SZ) where a refusal is an expected answer (not a pipe, over fs.pipe-max-size
    /// without CAP_SYS_RESOURCE, no room): false then, with no exception.</summary>
    public static bool TrySetPipeSize(SafeHandle fd, int bytes) => FcntlRaw(fd, F_SETPIPE_SZ, bytes) >= 0;

    /// <summary>futimens(2) with both times set to now.</summary>
    public static void TouchNow(SafeHandle fd, string? path = null) => Check(FutimensRaw(fd, 0), "futimens", path);

    /// <summary>Sends one datagram to the AF_UNIX socket at <paramref name="path"/> from a fresh non-blocking
    /// socket with MSG_DONTWAIT, so a full receiver fails with EAGAIN instead of waiting. A receiver that is
    /// absent or full is an expected answer here: false with its errno, never an exception.</summary>
    public static unsafe bool TrySendUnixDatagram(string path, ReadOnlySpan<byte> data, out int errno)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(path);
        errno = ENAMETOOLONG;
        if (name.Length is 0 or > 107 || data.IsEmpty) return false;
        Span<byte> address = stackalloc byte[2 + 108]; // struct sockaddr_un: sa_family_t, then the NUL-ended path
        address.Clear();
        address[0] = AF_UNIX; // sa_family_t in host (little-endian) order
        name.CopyTo(address[2..]);
        int fd = SocketRaw(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) { errno = LastErrno; return false; }
        using var socket = new SafeFileHandle(fd, ownsHandle: true);
        fixed (byte* d = data)
        fixed (byte* a = address)
        {
            while (true)
            {
                if (SendToRaw(socket, d, (nuint)data.Length, MSG_DONTWAIT | MSG_NOSIGNAL, a, (uint)(2 + name.Length + 1)) >= 0) { errno = 0; return true; }
                errno = LastErrno;
                if (errno != EINTR) return false;
            }
        }
    }
}
