using CoreDump.Uploader.Analysis;

namespace CoreDump.Uploader.Symbols;

/// <summary>A debug file in the cache: its build-id, size and the last time a crash used it (its mtime).</summary>
internal sealed record CachedFile(string BuildId, long Bytes, DateTimeOffset LastUsed);

/// <summary>The decisions of the debuginfod fetch step as pure functions (no I/O): which build-ids to ask
/// for, where each lives, which redirects to follow, when a negative answer is stale and what to evict.
/// Build-ids come from the sandboxed inspection or from metadata.json: both are treated as hostile, so a string
/// becomes a URL or path segment only as lowercase hex of 4 to 64 bytes.</summary>
internal static class SymbolRules
{
    /// <summary>The most debug files one crash asks for (the executable first, then the mapped modules).</summary>
    public const int MaxPerCrash = 32;
    /// <summary>How long a server's "no debug info for this build-id" is believed.</summary>
    public static readonly TimeSpan MissingFor = TimeSpan.FromDays(1);
    /// <summary>The most redirects one request follows.</summary>
    public const int MaxRedirects = 3;

    /// <summary>The build-id as a path and URL segment, or null when it is not lowercase hex of 4 to 64 bytes.</summary>
    public static string? Valid(string? buildId) => CoreInspection.IsBuildId(buildId) ? buildId : null;

    /// <summary>The valid build-ids among <paramref name="candidates"/>, in order, each once, at most <paramref name="max"/>.</summary>
    public static List<string> Select(IEnumerable<string?> candidates, int max = MaxPerCrash) =>
        candidates.Select(Valid).OfType<string>().Distinct(StringComparer.Ordinal).Take(max).ToList();

    /// <summary>`.build-id/xx/rest.debug`, the layout gdb's `debug-file-directory` looks up (for a valid build-id).</summary>
    public static string RelativePath(string buildId, string suffix = ".debug") =>
        Valid(buildId) is { } id ? $".build-id/{id[..2]}/{id[2..]}{suffix}" : throw new ArgumentException("not a build-id", nameof(buildId));

    /// <summary>debuginfod's HTTP API: `GET &lt;server&gt;/buildid/&lt;BUILDID&gt;/debuginfo`.</summary>
    public static Uri DebugInfoUrl(Uri server, string buildId)
    {
        string id = Valid(buildId) ?? throw new ArgumentException("not a build-id", nameof(buildId));
        string s = server.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return new Uri($"{s}/buildid/{id}/debuginfo");
    }

    /// <summary>A redirect is followed only to https, or to the very origin (scheme, host, port) the request
    /// went to: a server reached over https cannot send the client to plain http, and an allowed plain-http
    /// host cannot send it to another plain-http host.</summary>
    public static string? RedirectRefusal(Uri from, Uri? to)
    {
        if (to is null || !to.IsAbsoluteUri) return "a redirect without an absolute Location";
        if (to.Scheme == Uri.UriSchemeHttps) return null;
        if (to.Scheme == Uri.UriSchemeHttp && from.Scheme == Uri.UriSchemeHttp && Uri.Compare(from, to, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            return null;
        return $"a redirect to {to.GetLeftPart(UriPartial.Authority)} (only https or the same origin is followed)";
    }

    /// <summary>A `.missing` stamp written at <paramref name="stamped"/> still holds at <paramref name="now"/>.</summary>
    public static bool MissingStillHolds(DateTimeOffset stamped, DateTimeOffset now) => now - stamped < MissingFor && stamped <= now + TimeSpan.FromMinutes(5);

    /// <summary>What to remove so that the cache holds at most <paramref name="capBytes"/>: least recently used
    /// first, never a file of <paramref name="keep"/> (the build-ids of the crash being analysed).</summary>
    public static List<CachedFile> Evict(IEnumerable<CachedFile> files, long capBytes, IReadOnlySet<string> keep)
    {
        var all = files.ToList();
        long total = all.Sum(f => f.Bytes);
        var remove = new List<CachedFile>();
        foreach (var f in all.Where(f => !keep.Contains(f.BuildId)).OrderBy(f => f.LastUsed).ThenBy(f => f.BuildId, StringComparer.Ordinal))
        {
            if (total <= capBytes) break;
            remove.Add(f);
            total -= f.Bytes;
        }
        return remove;
    }

    /// <summary>The bytes one download may take: the per-file cap, the room left in the cache's filesystem
    /// above <paramref name="keepFreeBytes"/>, and the cache's own cap.</summary>
    public static long DownloadBudget(long maxFileBytes, long availableBytes, long keepFreeBytes, long cacheBytes) =>
        Math.Max(0, Math.Min(Math.Min(maxFileBytes, cacheBytes), availableBytes - keepFreeBytes));
}
