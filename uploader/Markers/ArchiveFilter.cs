namespace CoreDump.Uploader.Markers;

/// <summary>What `list` keeps: every rule given must match. The crash time is the one in the archive's name;
/// pid and executable come from the archive's metadata and are only looked up when asked for
/// (<see cref="NeedsMetadata"/>). <see cref="Last"/> keeps the newest N of what matched.</summary>
internal sealed record ArchiveFilter
{
    public string? Daemon { get; init; }
    public string? State { get; init; }
    /// <summary>A prefix of the signature (hex, case-insensitive).</summary>
    public string? Signature { get; init; }
    public long? Since { get; init; }
    public long? Until { get; init; }
    public int? Pid { get; init; }
    /// <summary>A glob (<c>*</c>, <c>?</c>) on the executable path; without a <c>/</c> it matches the base name.</summary>
    public string? Executable { get; init; }
    public int? Last { get; init; }

    public bool NeedsMetadata => Pid is not null || Executable is not null;

    public bool Matches(ListEntry e) =>
        (Daemon is null || e.Daemon == Daemon)
        && (State is null || e.State == State)
        && (Signature is null || e.Signature?.StartsWith(Signature, StringComparison.OrdinalIgnoreCase) == true)
        && (Since is not long s || e.Time >= s)
        && (Until is not long u || e.Time <= u);

    /// <summary>The pid and executable recorded for a crash; an unknown value matches no rule on it.</summary>
    public bool MatchesMetadata(int? pid, string? executable) =>
        (Pid is null || pid == Pid)
        && (Executable is null || (executable is not null && Glob.Matches(Executable, Executable.Contains('/') ? executable : BaseName(executable))));

    /// <summary>The matching rows, oldest first (the newest <see cref="Last"/> when set).
    /// <paramref name="metadata"/> is called only for rows that passed the other rules, and only when needed.</summary>
    public List<ListEntry> Apply(IEnumerable<ListEntry> rows, Func<ListEntry, (int? Pid, string? Executable)> metadata)
    {
        var kept = rows.Where(Matches)
            .Where(e => !NeedsMetadata || metadata(e) is var m && MatchesMetadata(m.Pid, m.Executable))
            .OrderBy(e => e.Time).ThenBy(e => e.Path, StringComparer.Ordinal).ToList();
        return Last is int n && kept.Count > n ? kept[^n..] : kept;
    }

    private static string BaseName(string path)
    {
        // a process's executable may be recorded as "/path/prog (deleted)"
        string p = path.EndsWith(" (deleted)", StringComparison.Ordinal) ? path[..^10] : path;
        return p[(p.LastIndexOf('/') + 1)..];
    }
}

/// <summary>Shell-like glob: <c>*</c> any run of characters (including <c>/</c>), <c>?</c> exactly one, the rest literal.</summary>
internal static class Glob
{
    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || (pattern[p] != '*' && pattern[p] == text[t]))) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}

/// <summary>One line of `list --by-signature`: how often a crash signature occurs on this machine.</summary>
internal sealed record SignatureCount
{
    public string? Signature { get; init; }
    public int Count { get; init; }
    public long FirstTime { get; init; }
    public long LastTime { get; init; }
    public string? SignalName { get; init; }
    public List<string> Daemons { get; init; } = [];
    /// <summary>The newest archive with this signature (for `info`/`debug`).</summary>
    public string Latest { get; init; } = "";
}

internal static class SignatureTally
{
    /// <summary>Top crashers: rows grouped by signature (crashes not analysed yet share the group with no
    /// signature), most frequent first, then the most recent.</summary>
    public static List<SignatureCount> Count(IEnumerable<ListEntry> rows) =>
        rows.GroupBy(e => e.Signature?.ToLowerInvariant())
            .Select(g =>
            {
                var newest = g.OrderBy(e => e.Time).ThenBy(e => e.Path, StringComparer.Ordinal).Last();
                return new SignatureCount
                {
                    Signature = g.Key, Count = g.Count(), FirstTime = g.Min(e => e.Time), LastTime = g.Max(e => e.Time),
                    SignalName = newest.SignalName, Daemons = g.Select(e => e.Daemon).Distinct().Order(StringComparer.Ordinal).ToList(),
                    Latest = newest.Archive,
                };
            })
            .OrderByDescending(c => c.Count).ThenByDescending(c => c.LastTime).ThenBy(c => c.Signature, StringComparer.Ordinal)
            .ToList();
}
