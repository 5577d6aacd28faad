using CoreDump.Native;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Store;

/// <summary>An exclusive flock on a lock file that only the program's own user can open (0600, owned by the
/// effective uid, not a symlink), waited for at most a bounded time. A lock file that someone else owns or
/// that others may open is never used: another user could hold it for ever. Callers go on without the lock
/// when <see cref="Take"/> returns null, so no lock can stall them.</summary>
internal sealed class PrivateLock : IDisposable
{
    private readonly SafeFileHandle _file;

    private PrivateLock(SafeFileHandle file) => _file = file;

    /// <summary>The lock, or null when it cannot be had in time or cannot be used at all (the file cannot be
    /// opened or created, is not private, or flock fails): every caller has a way on without it.</summary>
    /// <param name="dir">directory the name is relative to (<see cref="SafeDirectoryHandle.CurrentDirectory"/> for a path)</param>
    public static PrivateLock? Take(SafeDirectoryHandle dir, string name, TimeSpan maxWait)
    {
        SafeFileHandle file;
        try { file = Posix.OpenAt(dir, name, Posix.O_RDWR | Posix.O_CREAT | Posix.O_NOFOLLOW | Posix.O_NONBLOCK, FileModes.Mode0600); }
        catch (PosixException) { return null; }
        try
        {
            if (!IsPrivate(Posix.Fstat(file, name), Posix.Geteuid())) { file.Dispose(); return null; }
            long deadline = Environment.TickCount64 + (long)maxWait.TotalMilliseconds;
            while (!Posix.TryFlock(file, Posix.LOCK_EX, name))
            {
                if (Environment.TickCount64 >= deadline) { file.Dispose(); return null; }
                Thread.Sleep(5);
            }
            return new PrivateLock(file);
        }
        catch (PosixException) { file.Dispose(); return null; }
    }

    /// <summary>A regular file of <paramref name="euid"/> that neither group nor others may read or write.</summary>
    public static bool IsPrivate(Posix.Stat st, uint euid) => st.IsRegular && st.Uid == euid && (st.Permissions & FileModes.GroupOrOtherAny) == 0;

    public void Dispose() => _file.Dispose(); // closing the only descriptor releases the flock
}
