using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>Finds the archive an admin named: a path, a file name, or a report id (or a prefix of ≥ 6 hex digits).</summary>
internal static class ArchiveLookup
{
    /// <summary>The one archive <paramref name="what"/> names, or <see cref="UploaderError"/> (exit 66, EX_NOINPUT).</summary>
    public static ArchiveRef Get(string corePath, string what) =>
        Find(corePath, what, out var error) ?? throw new UploaderError(ExitCodes.NoInput, error ?? $"no archive '{what}'");

    public static ArchiveRef? Find(string corePath, string what, out string? error)
    {
        var all = ArchiveScanner.Scan(corePath, new List<string>());
        string full = Path.GetFullPath(what);
        var matches = all.Where(a => a.Path == full || a.FileName == what || a.FileName == Path.GetFileName(what)
            || a.Marker.ReportId == what || (what.Length >= 6 && a.Marker.ReportId?.StartsWith(what, StringComparison.Ordinal) == true)).ToList();
        if (matches.Select(m => m.Path).Distinct().Count() > 1) { error = $"'{what}' matches {matches.Count} archives; give the full path"; return null; }
        error = matches.Count == 0 ? $"no archive '{what}' under {corePath}" : null;
        return matches.FirstOrDefault();
    }
}
