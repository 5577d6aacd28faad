using CoreDump.Analysis;
using CoreDump.Native;

namespace CoreDump.Uploader.Processing;

/// <summary>Finds the executable that crashed, proven by its GNU build-id (docs/uploader.md, "Finding the
/// executable"). Candidates, in order: the mapping the core itself names (NT_FILE / AT_ENTRY), cdm's
/// executable_path, the core_pattern %E path, the first word of the command line if absolute, the process name
/// in executable_search_path. A candidate is used only if its build-id equals the one the core holds; it is
/// then COPIED into the private folder (from the very descriptor that was checked), so gdb never opens a path
/// the crashed process chose. No build-id in the core, or no match: gdb reads the core alone.</summary>
public static class ExecutableFinder
{
    public const string PrivateName = "exe";
    private const long MaxExecutableBytes = 4L << 30;

    /// <summary>Found: <see cref="Copy"/> (file name in the private folder) of <see cref="Original"/>.
    /// Not found: <see cref="Copy"/> is null and <see cref="Why"/> says why.</summary>
    public sealed record Outcome(string? Copy, string? Original, string How, string? Why);

    public static List<(string Path, string How)> Candidates(CoreFacts core, MetadataView md, string daemon, IReadOnlyList<string> searchPath)
    {
        var list = new List<(string, string)>();
        void Add(string? p, string how) { if (p is { Length: > 1 } && p.StartsWith('/') && !p.Contains('\0') && !list.Any(c => c.Item1 == p)) list.Add((p, how)); }
        Add(core.ExecutablePath, "core NT_FILE mapping");
        Add(md.ExecutablePath, "metadata executable_path");
        Add(md.CorePatternExe, "core_pattern %E");
        if (md.CommandLine is { } cl) Add(MetadataView.ProgramOnly(cl), "command line");
        foreach (var name in new[] { md.ProcessName, md.RawName, daemon }.OfType<string>().Where(n => n.Length > 0 && !n.Contains('/') && n != "." && n != "..").Distinct())
            foreach (var dir in searchPath)
                Add(Path.Combine(dir, name), $"search path ({name})");
        return list;
    }

    public static Outcome Find(CoreFacts core, MetadataView md, string daemon, IReadOnlyList<string> searchPath, string privateDir, long keepFreeBytes)
    {
        if (core.ExecutableBuildId is not { } want)
            return new Outcome(null, null, "", $"executable not available: {core.BuildIdProblem ?? "the core holds no build-id of the executable"}; gdb read the core alone");
        var tried = new List<string>();
        foreach (var (path, how) in Candidates(core, md, daemon, searchPath))
        {
            string? verdict = TryCandidate(path, want, privateDir, keepFreeBytes);
            if (verdict is null) return new Outcome(PrivateName, path, how, null);
            if (tried.Count < 6) tried.Add($"{Shown(path)} ({how}): {verdict}");
        }
        string detail = tried.Count == 0 ? "no candidate path" : string.Join("; ", tried);
        return new Outcome(null, null, "", $"executable not available: no file with the core's build-id {want} ({detail}); gdb read the core alone");
    }

    /// <summary>Null when the candidate matched and was copied; otherwise why not.</summary>
    private static string? TryCandidate(string path, string want, string privateDir, long keepFreeBytes)
    {
        // a FIFO or device must not block or be read: stat first, then open non-blocking and re-check the inode
        if (!Posix.TryLStatAt(-100, path, out var lst)) return "no such file";
        if (lst.IsSymlink)
        {
            string? target;
            try { target = File.ResolveLinkTarget(path, true)?.FullName; }
            catch (IOException) { target = null; }
            if (target is null || !Posix.TryLStatAt(-100, target, out lst)) return "a link to nothing";
        }
        if (!lst.IsRegular) return "not a regular file";
        int fd = Posix.OpenAt(-100, path, Posix.O_RDONLY | Posix.O_NONBLOCK);
        if (fd < 0) return "cannot open: " + Posix.Describe(-fd);
        using var file = new FileStream(Posix.Handle(fd), FileAccess.Read);
        if (!Posix.TryFstat(fd, out var st) || !st.IsRegular) return "not a regular file";
        if (st.Size > MaxExecutableBytes) return "larger than 4 GiB";
        string? id;
        string? problem;
        try { id = ElfNotes.FileBuildId(file, out problem); }
        catch (IOException e) { return "unreadable: " + e.Message; }
        if (id is null) return problem ?? "no build-id";
        if (id != want) return $"build-id {id} differs (rebuilt or replaced since the crash)";
        if (st.Size > CoreExtractor.AvailableBytes(privateDir) - keepFreeBytes) return "no space for a private copy";
        string copy = Path.Combine(privateDir, PrivateName);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        file.Position = 0;
        using (var output = new FileStream(copy, options)) file.CopyTo(output);
        // the copy is what gdb reads: check it, not the original, once more
        using (var check = File.OpenRead(copy))
            if (ElfNotes.FileBuildId(check, out _) != want) { File.Delete(copy); return "changed while it was copied"; }
        return null;
    }

    private static string Shown(string s) => s.Length > 200 ? s[..200] + "…" : s;
}
