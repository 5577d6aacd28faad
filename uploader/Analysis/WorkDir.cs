using CoreDump.Native;
using CoreDump.Store;

namespace CoreDump.Uploader.Analysis;

/// <summary>The folder for extracted cores. It is only ever a folder the uploader created itself: the
/// uploader makes it (mode 0700, under a temporary name, with the sentinel file inside, then renamed into
/// place), and later accepts it only while the sentinel is there. A folder that existed before without the
/// sentinel, a symlink, a foreign owner or group/other write access is refused, so pointing work_dir at the
/// outbox or any other folder can never empty it. Only the run holding the lock uses it, so anything else in
/// it at the start of an analysis belongs to a killed run and is removed.</summary>
/// <param name="takeOverEmpty">For the default &lt;state_dir&gt;/work only: an EMPTY folder there without the
/// sentinel (what versions before the sentinel left behind) is removed with rmdir(2), which only succeeds on
/// an empty folder, and created anew.</param>
/// <param name="overlap">Re-checks the folder's real path (symlinks in its parents resolved) against the
/// configuration's other folders; returns the refusal or null.</param>
internal sealed class WorkDir(string path, bool takeOverEmpty = false, Func<string, string?>? overlap = null)
{
    public const string Sentinel = ".cdm-uploader-work";
    private const UnixFileMode Private = FileModes.Mode0700;
    private static readonly byte[] SentinelText =
        "This folder was created by cdm-uploader for extracted cores; everything else in it is removed at the start of every analysis.\n"u8.ToArray();

    public string Path { get; } = path;

    /// <summary>Creates work_dir if it does not exist, verifies it, and removes a killed run's leftovers.
    /// Throws <see cref="UploaderError"/> (exit 78) when the folder is not the uploader's own.</summary>
    public int RemoveLeftovers()
    {
        using var dir = Prepare();
        int removed = 0;
        foreach (var name in dir.List().Where(n => n != Sentinel))
        {
            string entry = System.IO.Path.Combine(Path, name);
            try
            {
                if (dir.TryStat(name, out var st) && st.IsDirectory) Directory.Delete(entry, true); // never follows links inside
                else _ = dir.TryUnlink(name); // gone meanwhile is as good as removed
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    public string CreatePrivate()
    {
        using var dir = Open();
        string name = $"x.{Environment.ProcessId}.{Guid.NewGuid():N}";
        try { Posix.MkdirAt(dir.Handle, name, Private); }
        catch (PosixException e) { throw new IOException($"cannot create {name} in {Path}: {Posix.Describe(e.Errno)}", e); }
        return System.IO.Path.Combine(Path, name);
    }

    public void Remove(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private SafeDirectory Prepare()
    {
        string parent = System.IO.Path.GetDirectoryName(Path) ?? "/";
        if (!Directory.Exists(parent))
        {
            try { Directory.CreateDirectory(parent, FileModes.Mode0755); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new IOException($"cannot create {parent}: {e.Message}", e); }
        }
        return WithParent(pfd =>
        {
            string name = System.IO.Path.GetFileName(Path);
            CheckRealPath(pfd, name);
            if (!Posix.TryLStatAt(pfd, name, out _)) Create(pfd, name);
            else if (takeOverEmpty && IsEmptyWithoutSentinel(pfd, name) && TryRemoveEmpty(pfd, name)) Create(pfd, name);
            return Verify(pfd, name);
        });
    }

    private SafeDirectory Open() => WithParent(pfd => Verify(pfd, System.IO.Path.GetFileName(Path)));

    private T WithParent<T>(Func<SafeDirectoryHandle, T> use)
    {
        string parent = System.IO.Path.GetDirectoryName(Path) ?? "/";
        using var pfd = Posix.OpenDirectoryAt(SafeDirectoryHandle.CurrentDirectory, parent, Posix.O_RDONLY);
        return use(pfd);
    }

    /// <summary>rmdir(2): false when the folder is not empty (or no longer there), which leaves it to be refused.</summary>
    private static bool TryRemoveEmpty(SafeDirectoryHandle pfd, string name)
    {
        try { Posix.UnlinkAt(pfd, name, Posix.AT_REMOVEDIR); return true; }
        catch (PosixException) { return false; }
    }

    /// <summary>mkdir under a temporary name, sentinel inside, then rename into place: a crash in between
    /// never leaves a folder at work_dir that lacks the sentinel.</summary>
    private void Create(SafeDirectoryHandle pfd, string name)
    {
        string tmp = $".{name}.{Environment.ProcessId}.new";
        try { Posix.MkdirAt(pfd, tmp, Private); }
        catch (PosixException e) { throw new IOException($"cannot create {System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path) ?? "/", tmp)}: {Posix.Describe(e.Errno)}", e); }
        using (var dir = SafeDirectory.Open(pfd, tmp, tmp, 0, create: false, out var refusal) ?? throw new IOException($"cannot open {tmp}: {refusal}"))
        {
            using var h = dir.CreateExclusive(Sentinel, FileModes.Mode0600);
            RandomAccess.Write(h, SentinelText, 0);
            Posix.Fsync(h, Sentinel);
        }
        // renameat(2) may replace only an empty directory; nothing but root can have made one since the lstat
        try { Posix.RenameAt(pfd, tmp, name); }
        catch (PosixException e)
        {
            // best effort: a leftover ".<name>.<pid>.new" is harmless and the rename's failure is what to report
            try
            {
                using (var dir = SafeDirectory.Open(pfd, tmp, tmp, 0, create: false, out _)) _ = dir?.TryUnlink(Sentinel);
                _ = Posix.TryUnlinkAt(pfd, tmp, Posix.AT_REMOVEDIR);
            }
            catch (PosixException) { }
            throw new IOException($"cannot create {Path}: {Posix.Describe(e.Errno)}", e);
        }
        // ignored on purpose: if the rename is lost to a power cut, work_dir is simply missing and the next run
        // creates it again (the sentinel was synced before the folder got its name)
        try { Posix.Fsync(pfd); }
        catch (PosixException) { }
    }

    private static bool IsEmptyWithoutSentinel(SafeDirectoryHandle pfd, string name)
    {
        using var dir = SafeDirectory.Open(pfd, name, name, 0, create: false, out _);
        return dir is not null && dir.List().Count == 0;
    }

    private SafeDirectory Verify(SafeDirectoryHandle pfd, string name)
    {
        var dir = SafeDirectory.Open(pfd, name, Path, 0, create: false, out var refusal)
            ?? throw new UploaderError(ExitCodes.Config, $"work_dir refused: {refusal}");
        if (!dir.TryStat(Sentinel, out var st) || !st.IsRegular || st.Uid != Posix.Geteuid())
        {
            dir.Dispose();
            throw new UploaderError(ExitCodes.Config,
                $"work_dir {Path} refused: it is not a folder the uploader created (no {Sentinel} inside), and the uploader empties work_dir on every run. " +
                "Set work_dir to a path that does not exist yet (the uploader creates it, mode 0700), or remove this folder if it is an old work folder");
        }
        try { CheckRealPath(dir.Handle, null); }
        catch { dir.Dispose(); throw; }
        return dir;
    }

    /// <summary>Checks the real path (through the open descriptor, so symlinks in the parents are resolved)
    /// of <paramref name="name"/> under <paramref name="fd"/>, or of <paramref name="fd"/> itself.</summary>
    private void CheckRealPath(SafeDirectoryHandle fd, string? name)
    {
        string? at = new DirectoryInfo(fd.ProcPath).LinkTarget;
        if (at is null) return;
        string real = name is null ? at : System.IO.Path.Combine(at, name);
        if (real != Path && overlap?.Invoke(real) is { } why)
            throw new UploaderError(ExitCodes.Config, $"work_dir {Path} refused: its real path is {real}: {why}");
    }
}
