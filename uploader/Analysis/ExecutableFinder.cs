using CoreDump.Native;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Uploader.Analysis;

/// <summary>Finds the executable that crashed, proven by its GNU build-id (docs/uploader.md, "Finding the
/// executable"). Candidates, in order: the mapping the core itself names (NT_FILE / AT_ENTRY), cdm's
/// executable_path, the core_pattern %E path, the first word of the command line if absolute, the process name
/// in executable_search_path. Each candidate is COPIED into the private folder (from the very descriptor that was
/// checked), so neither the parser nor gdb ever opens a path the crashed process chose; the copies' build-ids are
/// read in the analysis sandbox, and a copy is used only if its build-id equals the one the core holds. No
/// build-id in the core, or no match: gdb reads the core alone.</summary>
internal static class ExecutableFinder
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

    /// <summary>Copies every candidate into the private folder (regular files only, opened without blocking,
    /// bounded by size and free space; one copy per file), hands the copies to the analysis uid, reads their
    /// build-ids in the sandbox (<see cref="CoreInspector"/>) and keeps the first whose build-id equals the core's
    /// as <see cref="PrivateName"/>. Root only copies bytes and compares strings.</summary>
    public static Outcome Find(AnalysisSandbox box, CoreFacts core, MetadataView md, string daemon, IReadOnlyList<string> searchPath,
        string privateDir, long keepFreeBytes, int timeoutSeconds)
    {
        if (core.ExecutableBuildId is not { } want || !CoreInspection.IsBuildId(want))
            return new Outcome(null, null, "", $"executable not available: {core.BuildIdProblem ?? "the core holds no build-id of the executable"}; gdb read the core alone");
        var candidates = Candidates(core, md, daemon, searchPath);
        var copyOf = new string?[candidates.Count];
        var verdicts = new string?[candidates.Count];
        var byInode = new Dictionary<(ulong, ulong), string>();
        long budget = CoreExtractor.AvailableBytes(privateDir) - keepFreeBytes;
        for (int i = 0; i < candidates.Count; i++)
        {
            string name = $"candidate.{i}";
            verdicts[i] = CopyCandidate(candidates[i].Path, privateDir, name, byInode, ref budget, out copyOf[i]);
            if (copyOf[i] == name) box.Grant(Path.Combine(privateDir, name));
        }
        var copies = copyOf.OfType<string>().Distinct().ToList();
        Dictionary<string, CandidateBuildId> ids = copies.Count == 0 ? [] : CoreInspector.Candidates(box, privateDir, copies, timeoutSeconds).Candidates.ToDictionary(c => c.File);
        var tried = new List<string>();
        Outcome? found = null;
        for (int i = 0; i < candidates.Count && found is null; i++)
        {
            string? verdict = verdicts[i];
            if (copyOf[i] is { } c && ids.GetValueOrDefault(c) is { } r)
            {
                if (CoreInspection.IsBuildId(r.BuildId) && r.BuildId == want)
                {
                    File.Move(Path.Combine(privateDir, c), Path.Combine(privateDir, PrivateName));
                    found = new Outcome(PrivateName, candidates[i].Path, candidates[i].How, null);
                    break;
                }
                verdict = r.BuildId is null ? r.Problem ?? "no build-id" : $"build-id {Shown(r.BuildId)} differs (rebuilt or replaced since the crash)";
            }
            if (tried.Count < 6) tried.Add($"{Shown(candidates[i].Path)} ({candidates[i].How}): {verdict}");
        }
        foreach (var c in copies.Where(c => File.Exists(Path.Combine(privateDir, c)))) File.Delete(Path.Combine(privateDir, c));
        if (found is not null) return found;
        string detail = tried.Count == 0 ? "no candidate path" : string.Join("; ", tried);
        return new Outcome(null, null, "", $"executable not available: no file with the core's build-id {want} ({detail}); gdb read the core alone");
    }

    /// <summary>Null when the candidate was copied to <paramref name="name"/> (or is a file already copied:
    /// <paramref name="copy"/> names that copy); otherwise why not. Nothing of the file is parsed here.</summary>
    private static string? CopyCandidate(string path, string privateDir, string name, Dictionary<(ulong, ulong), string> byInode, ref long budget, out string? copy)
    {
        copy = null;
        // a FIFO or device must not block or be read: stat first, then open non-blocking and re-check the inode
        try { return CopyCandidateChecked(path, privateDir, name, byInode, ref budget, out copy); }
        catch (PosixException e) { return $"cannot {e.Call}: {Posix.Describe(e.Errno)}"; }
    }

    private static string? CopyCandidateChecked(string path, string privateDir, string name, Dictionary<(ulong, ulong), string> byInode, ref long budget, out string? copy)
    {
        copy = null;
        var cwd = SafeDirectoryHandle.CurrentDirectory;
        if (!Posix.TryLStatAt(cwd, path, out var lst)) return "no such file";
        if (lst.IsSymlink)
        {
            string? target;
            try { target = File.ResolveLinkTarget(path, true)?.FullName; }
            catch (IOException) { target = null; }
            if (target is null || !Posix.TryLStatAt(cwd, target, out lst)) return "a link to nothing";
        }
        if (!lst.IsRegular) return "not a regular file";
        SafeFileHandle handle;
        try { handle = Posix.OpenAt(cwd, path, Posix.O_RDONLY | Posix.O_NONBLOCK); }
        catch (PosixException e) { return "cannot open: " + Posix.Describe(e.Errno); }
        using var file = new FileStream(handle, FileAccess.Read);
        var st = Posix.Fstat(handle, path);
        if (!st.IsRegular) return "not a regular file";
        if (byInode.TryGetValue((st.Dev, st.Ino), out var same)) { copy = same; return null; }
        if (st.Size > MaxExecutableBytes) return "larger than 4 GiB";
        if (st.Size > budget) return "no space for a private copy";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        // at most the size checked: a file that grows meanwhile cannot fill the disk; the copy is what is inspected
        using (var output = new FileStream(Path.Combine(privateDir, name), options))
        {
            var buf = new byte[1 << 20];
            long left = st.Size;
            int n;
            try
            {
                while (left > 0 && (n = file.Read(buf, 0, (int)Math.Min(buf.Length, left))) > 0) { output.Write(buf, 0, n); left -= n; }
            }
            catch (IOException e) { output.Dispose(); File.Delete(Path.Combine(privateDir, name)); return "unreadable: " + e.Message; }
        }
        // the original's modification time: gdb warns "exec file is newer than core file" from it, which must
        // describe the file, not when the copy was made
        File.SetLastWriteTimeUtc(Path.Combine(privateDir, name), DateTime.UnixEpoch.AddSeconds(st.Mtime).AddTicks(st.MtimeNsec / 100));
        budget -= st.Size;
        byInode[(st.Dev, st.Ino)] = name;
        copy = name;
        return null;
    }

    private static string Shown(string s) => s.Length > 200 ? s[..200] + "…" : s;
}
