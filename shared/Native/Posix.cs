using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Native;

/// <summary>The one place where CoreDump talks to libc directly: *at() calls relative to verified
/// directory descriptors (so no path component can be swapped for a symlink), flock, fsync, pipe size.</summary>
internal static partial class Posix
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200,
        O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    public const int F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
    public const int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200;
    public const int EEXIST = 17, ENOENT = 2, EWOULDBLOCK = 11, EINTR = 4, ENOSPC = 28, ELOOP = 40;
    public const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000;

    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public ulong Dev, Ino, Nlink;
        public uint Mode, Uid, Gid;
        private int _pad0;
        public ulong Rdev;
        public long Size, BlkSize, Blocks;
        public long Atime, AtimeNsec, Mtime, MtimeNsec, Ctime, CtimeNsec;
        private long _r0, _r1, _r2;
        public readonly bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;
        public readonly bool IsRegular => (Mode & S_IFMT) == S_IFREG;
        public readonly bool IsSymlink => (Mode & S_IFMT) == S_IFLNK;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct StatVfs
    {
        public ulong BlockSize, FragmentSize, Blocks, BlocksFree, BlocksAvailable, Files, FilesFree, FilesAvailable, FsId, Flags, NameMax;
        private int _s0, _s1, _s2, _s3, _s4, _s5;
    }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAtRaw(int dirfd, string path, int flags, uint mode);
    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirAtRaw(int dirfd, string path, uint mode);
    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAtRaw(int olddirfd, string oldpath, int newdirfd, string newpath);
    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkAtRaw(int dirfd, string path, int flags);
    [LibraryImport("libc", EntryPoint = "fstatat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FstatAtRaw(int dirfd, string path, out Stat st, int flags);
    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FstatRaw(int fd, out Stat st);
    [LibraryImport("libc", EntryPoint = "fstatvfs", SetLastError = true)]
    private static partial int FstatVfsRaw(int fd, out StatVfs st);
    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockRaw(int fd, int op);
    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncRaw(int fd);
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlRaw(int fd, int cmd, int arg);
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteRaw(int fd, byte* buf, nuint count);
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int PollRaw(PollFd* fds, nuint nfds, int timeoutMs);
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseRaw(int fd);
    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint Umask(uint mask);
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();
    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int Getpid();
    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FchmodRaw(int fd, uint mode);
    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FchownRaw(int fd, uint uid, uint gid);
    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketRaw(int domain, int type, int protocol);
    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static unsafe partial nint SendToRaw(int fd, byte* buf, nuint len, int flags, byte* addr, uint addrLength);
    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int FutimensRaw(int fd, nint times);

    public static int LastErrno => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno) + $" (errno {errno})";

    /// <summary>openat(2) retried on EINTR; returns the fd or -errno.</summary>
    public static int OpenAt(int dirfd, string path, int flags, uint mode = 0)
    {
        while (true)
        {
            int fd = OpenAtRaw(dirfd, path, flags | O_CLOEXEC, mode);
            if (fd >= 0) return fd;
            int e = LastErrno;
            if (e != EINTR) return -e;
        }
    }

    public static int MkdirAt(int dirfd, string path, uint mode) => MkdirAtRaw(dirfd, path, mode) == 0 ? 0 : -LastErrno;
    public static int RenameAt(int dirfd, string from, string to) => RenameAtRaw(dirfd, from, dirfd, to) == 0 ? 0 : -LastErrno;
    public static int UnlinkAt(int dirfd, string path, bool directory = false) => UnlinkAtRaw(dirfd, path, directory ? AT_REMOVEDIR : 0) == 0 ? 0 : -LastErrno;
    public static int Fsync(int fd) => FsyncRaw(fd) == 0 ? 0 : -LastErrno;
    public static int Fchmod(int fd, uint mode) => FchmodRaw(fd, mode) == 0 ? 0 : -LastErrno;
    public static int Fchown(int fd, uint uid, uint gid) => FchownRaw(fd, uid, gid) == 0 ? 0 : -LastErrno;
    public static int Close(int fd) => CloseRaw(fd);
    /// <summary>futimens(2) with both times set to now; 0 or -errno.</summary>
    public static int TouchNow(int fd) => FutimensRaw(fd, 0) == 0 ? 0 : -LastErrno;

    public static int Flock(int fd, int op)
    {
        while (true)
        {
            if (FlockRaw(fd, op) == 0) return 0;
            int e = LastErrno;
            if (e != EINTR) return -e;
        }
    }

    public const short POLLIN = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd { public int Fd; public short Events, Revents; }

    /// <summary>write(2) of the whole span (retried on EINTR and short writes); returns 0 or -errno.</summary>
    public static unsafe int WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = WriteRaw(fd, p + done, (nuint)(data.Length - done));
                if (n < 0) { int e = LastErrno; if (e == EINTR) continue; return -e; }
                done += (int)n;
            }
        }
        return 0;
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for <paramref name="fd"/> to be readable (or at end of
    /// file / hung up). Returns 1 when it is, 0 on timeout, -errno on error.</summary>
    public static unsafe int PollReadable(int fd, int timeoutMs)
    {
        var p = new PollFd { Fd = fd, Events = POLLIN };
        int r = PollRaw(&p, 1, timeoutMs);
        return r > 0 ? 1 : r == 0 ? 0 : LastErrno == EINTR ? 0 : -LastErrno;
    }

    public static bool TryLStatAt(int dirfd, string path, out Stat st) => FstatAtRaw(dirfd, path, out st, AT_SYMLINK_NOFOLLOW) == 0;
    public static bool TryFstat(int fd, out Stat st) => FstatRaw(fd, out st) == 0;
    public static bool TryFstatVfs(int fd, out StatVfs st) => FstatVfsRaw(fd, out st) == 0;

    /// <summary>Grows a pipe's buffer (best effort); returns the resulting size or -errno.</summary>
    public static int SetPipeSize(int fd, int bytes) => FcntlRaw(fd, F_SETPIPE_SZ, bytes) is var r && r >= 0 ? r : -LastErrno;

    public const int AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    public const int EAGAIN = 11, ECONNREFUSED = 111, EMSGSIZE = 90, ENAMETOOLONG = 36, ENOTSOCK = 88, EPROTOTYPE = 91;

    /// <summary>Sends one datagram to the AF_UNIX socket at <paramref name="path"/> from a fresh non-blocking
    /// socket with MSG_DONTWAIT: a full receiver fails with EAGAIN instead of waiting. Returns 0 or -errno.</summary>
    public static unsafe int SendUnixDatagram(string path, ReadOnlySpan<byte> data)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(path);
        if (name.Length is 0 or > 107 || data.IsEmpty) return -ENAMETOOLONG;
        Span<byte> address = stackalloc byte[2 + 108]; // struct sockaddr_un: sa_family_t, then the NUL-ended path
        address.Clear();
        address[0] = AF_UNIX; // sa_family_t in host (little-endian) order
        name.CopyTo(address[2..]);
        int fd = SocketRaw(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) return -LastErrno;
        try
        {
            fixed (byte* d = data)
            fixed (byte* a = address)
            {
                while (true)
                {
                    if (SendToRaw(fd, d, (nuint)data.Length, MSG_DONTWAIT | MSG_NOSIGNAL, a, (uint)(2 + name.Length + 1)) >= 0) return 0;
                    int e = LastErrno;
                    if (e != EINTR) return -e;
                }
            }
        }
        finally { CloseRaw(fd); }
    }

    public static SafeFileHandle Handle(int fd, bool owns = true) => new((IntPtr)fd, owns);
}
