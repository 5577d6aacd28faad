using CoreDump.Native;
using CoreDump.Store;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Uploader;

/// <summary>flock on &lt;state_dir&gt;/uploader.lock keeps two runs (and retry) apart. The kernel drops it
/// when the process dies, so a killed run never blocks the next one.</summary>
internal sealed class RunLock : IDisposable
{
    private readonly SafeFileHandle _file;

    private RunLock(SafeFileHandle file) { _file = file; }

    /// <summary>The lock, or <see cref="UploaderError"/>: exit 75 (EX_TEMPFAIL) while another run holds it, 73
    /// (EX_CANTCREAT) when state_dir or the lock file cannot be opened.</summary>
    public static RunLock Acquire(string stateDir) =>
        TryAcquire(stateDir, out bool busy, out var error)
        ?? throw new UploaderError(busy ? ExitCodes.TempFail : ExitCodes.CantCreate, error ?? $"cannot lock {Path.Combine(stateDir, "uploader.lock")}");

    /// <summary>Null with <paramref name="busy"/> = true when another run holds it; null with an error otherwise.</summary>
    public static RunLock? TryAcquire(string stateDir, out bool busy, out string? error)
    {
        busy = false;
        using var dir = SafeDirectory.OpenPath(stateDir, FileModes.Mode0750, out error);
        if (dir is null) return null;
        string path = Path.Combine(stateDir, "uploader.lock");
        SafeFileHandle lf;
        try { lf = Posix.OpenAt(dir.Handle, "uploader.lock", Posix.O_RDWR | Posix.O_CREAT | Posix.O_NOFOLLOW, FileModes.Mode0640); }
        catch (PosixException e) { error = $"cannot open {path}: {Posix.Describe(e.Errno)}"; return null; }
        try
        {
            if (Posix.TryFlock(lf, Posix.LOCK_EX, path)) return new RunLock(lf);
            busy = true;
            error = "another uploader run holds " + path;
        }
        catch (PosixException e) { error = $"flock: {Posix.Describe(e.Errno)}"; }
        lf.Dispose();
        return null;
    }

    public void Dispose() => _file.Dispose(); // closing the descriptor releases the flock
}
