using CoreDump.Native;

namespace CoreDump.Store;

/// <summary>An exclusive flock on a lock file that only the program's own user can open (0600, owned by the
/// effective uid, not a symlink), waited for at most a bounded time. A lock file that someone else owns or
/// that others may open is never used: another user could hold it for ever. Callers go on without the lock
/// when <see cref="Take"/> returns null, so no lock can stall them.</summary>
internal sealed class PrivateLock : IDisposable
{
    private int _fd;

    private PrivateLock(int fd) => _fd = fd;

    /// <param name="dirFd">directory the name is relative to (-100 = AT_FDCWD for a path)</param>
    public static PrivateLock? Take(int dirFd, string name, TimeSpan maxWait)
    {
        int fd = Posix.OpenAt(dirFd, name, Posix.O_RDWR | Posix.O_CREAT | Posix.O_NOFOLLOW | Posix.O_NONBLOCK, 0x180 /* 0600 */);
        if (fd < 0) return null;
        if (!Posix.TryFstat(fd, out var st) || !IsPrivate(st, Posix.Geteuid()))
        {
            Posix.Close(fd);
            return null;
        }
        long deadline = Environment.TickCount64 + (long)maxWait.TotalMilliseconds;
        while (Posix.Flock(fd, Posix.LOCK_EX | Posix.LOCK_NB) != 0)
        {
            if (Environment.TickCount64 >= deadline) { Posix.Close(fd); return null; }
            Thread.Sleep(5);
        }
        return new PrivateLock(fd);
    }

    /// <summary>A regular file of <paramref name="euid"/> that neither group nor others may read or write.</summary>
    public static bool IsPrivate(Posix.Stat st, uint euid) => st.IsRegular && st.Uid == euid && (st.Mode & 0x3F /* 077 */) == 0;

    public void Dispose()
    {
        if (_fd >= 0) Posix.Close(_fd); // closing the only descriptor releases the flock
        _fd = -1;
    }
}
