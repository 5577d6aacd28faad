using CoreDump.Metadata;

namespace CoreDump.Uploader.Processing;

/// <summary>Finds the crashed program's executable (docs/uploader.md, "Finding the executable"):
/// 1. cdm's metadata executable_path (from the core's NT_FILE/AT_ENTRY notes);
/// 2. the core_pattern %E path cdm recorded (options["E"], '!' standing for '/');
/// 3. the first word of the core's command line, if it is an absolute path;
/// 4. the process name searched in executable_search_path.
/// Every candidate must be an existing regular file. None found → gdb reads the core alone.</summary>
public static class ExecutableFinder
{
    public sealed record Found(string Path, string How);

    public static Found? Find(CaptureMetadata? md, string daemon, IReadOnlyList<string> searchPath)
    {
        if (md?.ExecutablePath is { Length: > 0 } exe && IsFile(exe)) return new Found(exe, "metadata executable_path");
        if (md?.Options.GetValueOrDefault("E") is { Length: > 0 } e && e.Replace('!', '/') is var ep && ep.StartsWith('/') && IsFile(ep))
            return new Found(ep, "core_pattern %E");
        if (md?.CommandLine?.Split(' ', 2)[0] is { Length: > 1 } first && first.StartsWith('/') && IsFile(first))
            return new Found(first, "command line");
        foreach (var name in new[] { md?.ProcessName, md?.RawName, daemon }.OfType<string>().Where(n => n.Length > 0 && !n.Contains('/')).Distinct())
            foreach (var dir in searchPath)
                if (Path.Combine(dir, name) is var p && IsFile(p)) return new Found(p, $"search path ({name})");
        return null;
    }

    private static bool IsFile(string p)
    {
        try { return File.Exists(p) && (File.GetAttributes(p) & FileAttributes.Directory) == 0; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
