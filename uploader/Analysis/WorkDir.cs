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
    private const uint Private = 0x1C0; // 0700
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
                else dir.Unlink(name);
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
        int rc = Posix.MkdirAt(dir.Fd, name, Private);
        if (rc < 0) throw new IOException($"cannot create {name} in {Path}: {Posix.Describe(-rc)}");
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
            try { Directory.CreateDirectory(parent, (UnixFileMode)0x1ED /* 0755 */); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new IOException($"cannot create {parent}: {e.Message}", e); }
        }
        return WithParent(pfd =>
        {
            string name = System.IO.Path.GetFileName(Path);
            CheckRealPath(pfd, name);
            if (!Posix.TryLStatAt(pfd, name, out _)) Create(pfd, name);
            else if (takeOverEmpty && IsEmptyWithoutSentinel(pfd, name) && Posix.UnlinkAt(pfd, name, directory: true) == 0) Create(pfd, name);
            return Verify(pfd, name);
        });
    }

    private SafeDirectory Open() => WithParent(pfd => Verify(pfd, System.IO.Path.GetFileName(Path)));

    private T WithParent<T>(Func<int, T> use)
    {
        string parent = System.IO.Path.GetDirectoryName(Path) ?? "/";
        int pfd = Posix.OpenAt(-100 /* AT_FDCWD */, parent, Posix.O_RDONLY | Posix.O_DIRECTORY);
        if (pfd < 0) throw new IOException($"cannot open {parent}: {Posix.Describe(-pfd)}");
        try { return use(pfd); }
        finally { Posix.Close(pfd); }
    }

    /// <summary>mkdir under a temporary name, sentinel inside, then rename into place: a crash in between
    /// never leaves a folder at work_dir that lacks the sentinel.</summary>
    private void Create(int pfd, string name)
    {
        string tmp = $".{name}.{Environment.ProcessId}.new";
        int rc = Posix.MkdirAt(pfd, tmp, Private);
        if (rc < 0) throw new IOException($"cannot create {System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path) ?? "/", tmp)}: {Posix.Describe(-rc)}");
        using (var dir = SafeDirectory.Open(pfd, tmp, tmp, 0, create: false, out var refusal) ?? throw new IOException($"cannot open {tmp}: {refusal}"))
        {
            using var h = dir.CreateExclusive(Sentinel, 0x180 /* 0600 */, out int e) ?? throw new IOException($"cannot create {Sentinel}: {Posix.Describe(e)}");
            RandomAccess.Write(h, SentinelText, 0);
            Posix.Fsync((int)h.DangerousGetHandle());
        }
        // renameat(2) may replace only an empty directory; nothing but root can have made one since the lstat
        rc = Posix.RenameAt(pfd, tmp, name);
        if (rc < 0)
        {
            using (var dir = SafeDirectory.Open(pfd, tmp, tmp, 0, create: false, out _)) dir?.Unlink(Sentinel);
            Posix.UnlinkAt(pfd, tmp, directory: true);
            throw new IOException($"cannot create {Path}: {Posix.Describe(-rc)}");
        }
        Posix.Fsync(pfd);
    }

    private static bool IsEmptyWithoutSentinel(int pfd, string name)
    {
        using var dir = SafeDirectory.Open(pfd, name, name, 0, create: false, out _);
        return dir is not null && dir.List().Count == 0;
    }

    private SafeDirectory Verify(int pfd, string name)
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
        try { CheckRealPath(dir.Fd, null); }
        catch { dir.Dispose(); throw; }
        return dir;
    }

    /// <summary>Checks the real path (through the open descriptor, so symlinks in the parents are resolved)
    /// of <paramref name="name"/> under <paramref name="fd"/>, or of <paramref name="fd"/> itself.</summary>
    private void CheckRealPath(int fd, string? name)
    {
        string? at = new DirectoryInfo($"/proc/self/fd/{fd}").LinkTarget;
        if (at is null) return;
        string real = name is null ? at : System.IO.Path.Combine(at, name);
        if (real != Path && overlap?.Invoke(real) is { } why)
            throw new UploaderError(ExitCodes.Config, $"work_dir {Path} refused: its real path is {real}: {why}");
    }
}
