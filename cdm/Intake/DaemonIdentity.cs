using System.Text;

namespace CoreDump.Cdm.Intake;

/// <summary>The daemon directory name: P + U + H (docs/archive-layout.md).
/// P is the escaped process name (the thread-group leader's comm from the core's NT_PRPSINFO), U is
/// "@&lt;uid&gt;" for a non-root uid, H is "~&lt;8 hex&gt;" (a hash of the executable path, with a namespace
/// marker for crashes from another PID or mount namespace) unless the executable is a system program whose
/// basename gives the process name and the crash is from the initial namespaces.
/// ToSafe escapes '@' and '~', so neither suffix can be imitated by a process name: two crashes of different
/// uids or of different non-system executables never share a directory, and so never share slots, drop
/// records or a crash-loop budget.</summary>
internal static class DaemonIdentity
{
    /// <summary>Longest directory name: P (≤ 64) + "@" + 10 digits + "~" + 8 hex digits.</summary>
    public const int MaxLength = DaemonName.MaxLength + 1 + 10 + 1 + 8;

    /// <summary>The kernel's comm is at most 15 bytes (TASK_COMM_LEN 16 with its NUL).</summary>
    public const int CommLength = 15;

    /// <summary>Directories that only root can write to on a Debian-like system: an executable there is the
    /// administrator's program.</summary>
    private static readonly string[] ExactSystemDirectories = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"];

    /// <summary>Trees (any depth) under which executables are the system's: /usr/lib*, /usr/libexec, /lib*.</summary>
    private static readonly string[] SystemTreePrefixes = ["/usr/lib", "/lib"];

    /// <summary>d_path's marker for an executable that was unlinked (replaced by a package upgrade).</summary>
    public const string DeletedSuffix = " (deleted)";

    private static readonly byte[] NamespaceMarker = "\0foreign-namespace"u8.ToArray();

    /// <param name="processName">raw bytes of the process name (NT_PRPSINFO pr_fname, else %e)</param>
    /// <param name="uid">the crashed process's uid as the host sees it; null when unknown (treated as root:
    /// the executable is then unknown too, or the notes were read, so H still separates it)</param>
    /// <param name="executablePath">the executable's path, bytes outside printable ASCII as \xNN
    /// (<see cref="DaemonName.Printable"/>); null when unknown</param>
    /// <param name="foreignNamespace">the crash came from another PID or mount namespace</param>
    public static string DirectoryName(ReadOnlySpan<byte> processName, int? uid, string? executablePath, bool foreignNamespace)
    {
        string p = DaemonName.ToSafe(processName);
        string u = uid is int n && n != 0 ? "@" + ((uint)n).ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
        bool plain = !foreignNamespace && executablePath is not null && IsSystemProgram(executablePath, processName);
        return plain ? p + u : p + u + "~" + Hash(executablePath ?? "", foreignNamespace);
    }

    /// <summary>First 4 bytes of SHA-256 over the path as given (and the namespace marker), as 8 lowercase hex
    /// digits. A " (deleted)" suffix is kept: outside the system directories anyone may create such a name.</summary>
    public static string Hash(string executablePath, bool foreignNamespace)
    {
        var bytes = Encoding.UTF8.GetBytes(executablePath);
        if (foreignNamespace) bytes = [.. bytes, .. NamespaceMarker];
        return Convert.ToHexString(Sha256.Hash(bytes), 0, 4).ToLowerInvariant();
    }

    /// <summary>Is the executable in a system directory, and does its basename give the process name (the
    /// kernel's default comm: the first 15 bytes of the basename)? A " (deleted)" suffix is ignored here:
    /// only root can create names in those directories.</summary>
    public static bool IsSystemProgram(string executablePath, ReadOnlySpan<byte> processName)
    {
        string path = StripDeleted(executablePath);
        if (!IsSystemPath(path)) return false;
        string basename = path[(path.LastIndexOf('/') + 1)..];
        if (basename.Contains('\\')) return false; // an escaped byte: not a name the administrator would install
        var comm = Encoding.ASCII.GetBytes(basename.Length > CommLength ? basename[..CommLength] : basename);
        return processName.SequenceEqual(comm);
    }

    /// <summary>An absolute, canonical path (no empty, "." or ".." components) directly in one of the
    /// system bin directories or anywhere under /usr/lib*, /usr/libexec or /lib*.</summary>
    public static bool IsSystemPath(string path)
    {
        if (path.Length < 2 || path[0] != '/' || path.EndsWith('/')) return false;
        var parts = path[1..].Split('/');
        if (parts.Any(p => p is "" or "." or "..")) return false;
        string dir = path[..path.LastIndexOf('/')];
        if (ExactSystemDirectories.Contains(dir, StringComparer.Ordinal)) return true;
        // "/usr/lib", "/usr/lib64", "/usr/libexec", "/usr/lib/x86_64-linux-gnu/...", "/lib", "/lib64", ...
        foreach (var prefix in SystemTreePrefixes)
        {
            if (!dir.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int topEnd = dir.IndexOf('/', prefix.Length);
            string top = topEnd < 0 ? dir : dir[..topEnd];
            if (top.Length == prefix.Length || top[prefix.Length..].All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) return true;
        }
        return false;
    }

    private static string StripDeleted(string path) =>
        path.EndsWith(DeletedSuffix, StringComparison.Ordinal) ? path[..^DeletedSuffix.Length] : path;
}
