using System.Net;

namespace CoreDump.Uploader.Config;

/// <summary>The configuration rules that protect data and secrets, as pure decisions (no I/O): each returns
/// the reason a value is refused, or null.</summary>
internal static class ConfigRules
{
    /// <summary>work_dir is emptied at the start of every analysis, so it must not be /, must not be, lie inside
    /// or contain corepath or the outbox, and must not be or contain the log folder, the state folder (it may
    /// lie inside either, as the default lies inside state_dir) or the lock file. Paths are compared lexically after
    /// normalisation; symlinks are refused when the folder is opened (WorkDir).</summary>
    public static string? WorkDirOverlap(string workDir, string corepath, string outbox, string stateDir, string logFile, string lockFile)
    {
        string w = Normal(workDir);
        if (w == "/") return "work_dir must not be /: the uploader empties work_dir at the start of every run";
        foreach (var (key, other) in new[] { ("corepath", corepath), ("outbox", outbox) })
        {
            string o = Normal(other);
            if (w == o || Inside(w, o) || Inside(o, w))
                return $"work_dir {w} overlaps {key} {o}: the uploader empties work_dir at the start of every run, so it must be a folder of its own";
        }
        // a folder of its own inside the log folder is harmless; the log folder itself (or a parent) would be emptied
        string logDir = Path.GetDirectoryName(Normal(logFile)) ?? "/";
        if (w == logDir || Inside(logDir, w))
            return $"work_dir {w} must not be or contain the log folder {logDir}: the uploader empties work_dir at the start of every run";
        string s = Normal(stateDir);
        if (w == s || Inside(s, w))
            return $"work_dir {w} must not be or contain state_dir {s} (it may be a folder inside it, as the default {Path.Combine(s, "work")})";
        if (w == Normal(lockFile) || Inside(Normal(lockFile), w)) return $"work_dir {w} must not hold the run lock {lockFile}";
        return null;
    }

    /// <summary>A plain http:// server is refused unless its host is listed in allow_http_hosts; an auth
    /// header goes over http only to a loopback address (traffic that never leaves the machine).</summary>
    public static string? HttpRefusal(int index, Uri url, bool hasAuthHeader, IEnumerable<string> allowHttpHosts)
    {
        if (url.Scheme != Uri.UriSchemeHttp) return null;
        string host = HostOf(url);
        if (!allowHttpHosts.Any(h => string.Equals(NormalHost(h), host, StringComparison.OrdinalIgnoreCase)))
            return $"server[{index}].url {url} is plain http: reports would travel in clear text; use https, or allow this host with allow_http_hosts = [\"{host}\"]";
        if (hasAuthHeader && !IsLoopbackAddress(host))
            return $"server[{index}].auth_header would travel in clear text over http:// to {host}; an auth header is sent over http only to a loopback address (127.0.0.0/8, ::1): use https";
        return null;
    }

    /// <summary>A debuginfod server: an absolute https URL without credentials, query or fragment, or plain http
    /// to a host listed in allow_http_hosts (a debug file is checked by build-id, but over plain http anyone on
    /// the path sees which builds crashed).</summary>
    public static string? DebuginfodUrlRefusal(int index, string url, IEnumerable<string> allowHttpHosts)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttps && u.Scheme != Uri.UriSchemeHttp) || u.Host.Length == 0)
            return $"debuginfod_urls[{index}] must be an absolute http(s) URL, not '{url}'";
        if (u.UserInfo.Length > 0 || u.Query.Length > 0 || u.Fragment.Length > 0)
            return $"debuginfod_urls[{index}] {url}: no user info, query or fragment (the uploader appends /buildid/<id>/debuginfo)";
        if (u.Scheme == Uri.UriSchemeHttp && !allowHttpHosts.Any(h => string.Equals(NormalHost(h), HostOf(u), StringComparison.OrdinalIgnoreCase)))
            return $"debuginfod_urls[{index}] {url} is plain http: use https, or allow this host with allow_http_hosts = [\"{HostOf(u)}\"]";
        return null;
    }

    /// <summary>work_dir is emptied on every analysis, so it must not be or contain the debuginfod cache.</summary>
    public static string? CacheOverlap(string workDir, string stateDir)
    {
        string w = Normal(workDir), cache = Normal(Path.Combine(stateDir, "debuginfod"));
        return w == cache || Inside(cache, w) ? $"work_dir {w} must not be or contain the debuginfod cache {cache}" : null;
    }

    /// <summary>Whether an auth header may go to <paramref name="url"/>: over https, or over http to a loopback address.</summary>
    public static bool MaySendAuthHeader(Uri url) => url.Scheme == Uri.UriSchemeHttps || IsLoopbackAddress(HostOf(url));

    /// <summary>An allow_http_hosts entry must be a bare host name or IP address (no scheme, port or path).</summary>
    public static string? AllowHttpHostRefusal(string entry)
    {
        string h = NormalHost(entry);
        bool ok = h.Length > 0 && !h.Contains('/') && Uri.CheckHostName(h) != UriHostNameType.Unknown
            && !(Uri.CheckHostName(h) == UriHostNameType.Dns && h.Contains(':'));
        return ok ? null : $"allow_http_hosts entry '{entry}' must be a bare host name or IP address (no scheme, port or path)";
    }

    public static string? OutboxBoundsRefusal(long maxBytes, long keepFreeBytes) =>
        maxBytes <= 0 ? "outbox_max_bytes must be > 0"
        : keepFreeBytes < 0 ? "outbox_keep_free_bytes must be >= 0"
        : null;

    private static string HostOf(Uri u) => NormalHost(u.Host);
    private static string NormalHost(string h) => h.Trim().Trim('[', ']').ToLowerInvariant();
    private static bool IsLoopbackAddress(string host) => IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    private static string Normal(string p) => p == "/" ? "/" : Path.TrimEndingDirectorySeparator(Path.GetFullPath(p));
    private static bool Inside(string inner, string outer) => inner != outer && inner.StartsWith(outer == "/" ? "/" : outer + "/", StringComparison.Ordinal);
}
