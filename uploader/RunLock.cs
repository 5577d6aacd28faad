using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Uploader;

/// <summary>flock on &lt;state_dir&gt;/uploader.lock keeps two runs (and retry) apart. The kernel drops it
/// when the process dies, so a killed run never blocks the next one.</summary>
internal sealed class RunLock : IDisposable
{
    private int fd;

    private RunLock(int fd) { this.fd = fd; }

    /// <summary>The lock, or <see cref="UploaderError"/>: exit 75 (EX_TEMPFAIL) while another run holds it, 73
    /// (EX_CANTCREAT) when state_dir or the lock file cannot be opened.</summary>
    public static RunLock Acquire(string stateDir) =>
        TryAcquire(stateDir, out bool busy, out var error)
        ?? throw new UploaderError(busy ? ExitCodes.TempFail : ExitCodes.CantCreate, error ?? $"cannot lock {Path.Combine(stateDir, "uploader.lock")}");

    /// <summary>Null with <paramref name="busy"/> = true when another run holds it; null with an error otherwise.</summary>
    public static RunLock? TryAcquire(string stateDir, out bool busy, out string? error)
    {
        busy = false;
        using var dir = SafeDirectory.OpenPath(stateDir, 0x1e8 /* 0750 */, out error);
        if (dir is null) return null;
        int lfd = Posix.OpenAt(dir.Fd, "uploader.lock", Posix.O_RDWR | Posix.O_CREAT | Posix.O_NOFOLLOW, 0x1a0);
        if (lfd < 0) { error = $"cannot open {Path.Combine(stateDir, "uploader.lock")}: {Posix.Describe(-lfd)}"; return null; }
        int rc = Posix.Flock(lfd, Posix.LOCK_EX | Posix.LOCK_NB);
        if (rc == 0) return new RunLock(lfd);
        Posix.Close(lfd);
        busy = -rc == Posix.EWOULDBLOCK;
        error = busy ? "another uploader run holds " + Path.Combine(stateDir, "uploader.lock") : $"flock: {Posix.Describe(-rc)}";
        return null;
    }

    public void Dispose()
    {
        if (fd >= 0) Posix.Close(fd);
        fd = -1;
    }
}
