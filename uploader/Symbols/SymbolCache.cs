using CoreDump.Native;
using CoreDump.Store;
using CoreDump.Uploader.Analysis;

namespace CoreDump.Uploader.Symbols;

/// <summary>The debuginfod cache, `&lt;state_dir&gt;/debuginfod`: `.build-id/xx/rest.debug` as gdb's
/// `debug-file-directory` expects, written only by the uploader (root) under the run lock. Directories are
/// 0755 and files 0644, owned by root, so the analysis uid can read a debug file but change nothing; a file
/// appears under its name only by rename(2) after its build-id was checked. `rest.missing` stamps record a
/// recent "no server has it". Every name below the root is built from a validated build-id.</summary>
internal sealed class SymbolCache : IDisposable
{
    public const string FolderName = "debuginfod";
    private const string BuildIdDir = ".build-id", TempPrefix = ".tmp.", DebugSuffix = ".debug", MissingSuffix = ".missing";

    private readonly SafeDirectory _root;
    private readonly SafeDirectory _ids;

    public string Path => _root.Path;

    private SymbolCache(SafeDirectory root, SafeDirectory ids) { _root = root; _ids = ids; }

    public static string PathFor(string stateDir) => System.IO.Path.Combine(stateDir, FolderName);

    /// <summary>Opens (creating) the cache under <paramref name="stateDir"/>; IOException with the reason when it is not the uploader's own.</summary>
    public static SymbolCache Open(string stateDir)
    {
        string path = PathFor(stateDir);
        var root = SafeDirectory.OpenPath(path, FileModes.Mode0755, out var refusal) ?? throw new IOException($"debuginfod cache: {refusal}");
        try
        {
            Readable(root);
            var ids = Child(root, BuildIdDir);
            return new SymbolCache(root, ids);
        }
        catch { root.Dispose(); throw; }
    }

    /// <summary>The debug file of <paramref name="buildId"/> is in the cache; a hit counts as a use (its mtime, the LRU clock, is set to now).</summary>
    public bool TryUse(string buildId)
    {
        using var dir = Sub(buildId, create: false);
        using var h = dir?.TryOpenRegular(Rest(buildId) + DebugSuffix, write: false);
        if (h is null) return false;
        try { Posix.TouchNow(h); } catch (PosixException) { } // only the eviction order suffers
        return true;
    }

    /// <summary>A server said recently that it has no debug info for <paramref name="buildId"/>.</summary>
    public bool RecentlyMissing(string buildId, DateTimeOffset now)
    {
        using var dir = Sub(buildId, create: false);
        return dir is not null && dir.TryStat(Rest(buildId) + MissingSuffix, out var st) && st.IsRegular
            && SymbolRules.MissingStillHolds(DateTimeOffset.FromUnixTimeSeconds(st.Mtime), now);
    }

    public void MarkMissing(string buildId)
    {
        using var dir = Sub(buildId, create: true)!;
        string name = Rest(buildId) + MissingSuffix;
        _ = dir.TryUnlink(name);
        using var h = dir.CreateExclusive(name, FileModes.Mode0644);
    }

    /// <summary>Room on the cache's filesystem.</summary>
    public long AvailableBytes()
    {
        try { return Posix.FstatVfs(_root.Handle, Path).AvailableBytes; }
        catch (PosixException) { return long.MaxValue; }
    }

    /// <summary>Receives one download into a 0600 temporary beside its final name, checks that it is an ELF file
    /// whose GNU build-id is <paramref name="buildId"/>, then makes it 0644 and renames it into place. Returns
    /// null when stored, else why not (the temporary is removed either way).</summary>
    public string? Store(string buildId, Func<FileStream, string?> download)
    {
        using var dir = Sub(buildId, create: true)!;
        string rest = Rest(buildId), tmp = $"{TempPrefix}{rest}.{Posix.Getpid()}";
        _ = dir.TryUnlink(tmp);
        bool stored = false;
        try
        {
            using (var h = dir.CreateExclusive(tmp, FileModes.Mode0600))
            using (var file = new FileStream(h, FileAccess.ReadWrite))
            {
                if (download(file) is { } failed) return failed;
                file.Flush();
                var got = ElfNotes.FileBuildId(file, out var problem);
                if (got is null) return $"the server's file is not usable debug info: {problem}";
                if (got != buildId) return $"the server's file has build-id {got}, not {buildId}: refused";
                Posix.Fchmod(h, FileModes.Mode0644, System.IO.Path.Combine(dir.Path, tmp));
            }
            dir.Rename(tmp, rest + DebugSuffix);
            stored = true;
            _ = dir.TryUnlink(rest + MissingSuffix);
            return null;
        }
        finally
        {
            if (!stored) { try { _ = dir.TryUnlink(tmp); } catch (PosixException) { } }
        }
    }

    /// <summary>Every debug file in the cache; temporaries of a killed fetch are removed on the way.</summary>
    public List<CachedFile> List()
    {
        var all = new List<CachedFile>();
        foreach (string xx in _ids.List().Where(n => n.Length == 2 && SymbolRules.Valid(n + "00000000") is not null))
        {
            using var dir = _ids.OpenChild(xx, 0, create: false, out _);
            if (dir is null) continue;
            foreach (string name in dir.List())
            {
                if (name.StartsWith(TempPrefix, StringComparison.Ordinal)) { _ = dir.TryUnlink(name); continue; }
                if (!name.EndsWith(DebugSuffix, StringComparison.Ordinal) || SymbolRules.Valid(xx + name[..^DebugSuffix.Length]) is not { } id) continue;
                if (dir.TryStat(name, out var st) && st.IsRegular)
                    all.Add(new CachedFile(id, st.Size, DateTimeOffset.FromUnixTimeSeconds(st.Mtime)));
            }
        }
        return all;
    }

    public bool Remove(string buildId)
    {
        using var dir = Sub(buildId, create: false);
        return dir is not null && dir.TryUnlink(Rest(buildId) + DebugSuffix);
    }

    private SafeDirectory? Sub(string buildId, bool create)
    {
        string xx = (SymbolRules.Valid(buildId) ?? throw new ArgumentException("not a build-id", nameof(buildId)))[..2];
        if (!create) return _ids.OpenChild(xx, 0, create: false, out var refusal) ?? (refusal is null || !_ids.TryStat(xx, out _) ? null : throw new IOException($"debuginfod cache: {refusal}"));
        return Child(_ids, xx);
    }

    private static string Rest(string buildId) => buildId[2..];

    private static SafeDirectory Child(SafeDirectory parent, string name)
    {
        var d = parent.OpenChild(name, FileModes.Mode0755, create: true, out var refusal) ?? throw new IOException($"debuginfod cache: {refusal}");
        Readable(d);
        return d;
    }

    /// <summary>0755 whatever the umask: the analysis uid must traverse every folder down to a debug file.</summary>
    private static void Readable(SafeDirectory d)
    {
        try { Posix.Fchmod(d.Handle, FileModes.Mode0755, d.Path); }
        catch (PosixException e) { throw new IOException($"debuginfod cache: cannot chmod {d.Path}: {Posix.Describe(e.Errno)}", e); }
    }

    public void Dispose() { _ids.Dispose(); _root.Dispose(); }
}
