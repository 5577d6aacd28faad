using System.Text;

namespace CoreDump.Cdm.Intake;

/// <summary>Small facts about the machine and the invocation, read without a shell or environment.</summary>
internal static class HostFacts
{
    public const int MaxOsReleaseBytes = 64 * 1024;

    public static List<byte[]> RawArguments()
    {
        try { return InvocationParser.SplitCmdline(File.ReadAllBytes("/proc/self/cmdline")); }
        catch (Exception) { return Environment.GetCommandLineArgs().Skip(1).Select(a => Encoding.UTF8.GetBytes(a)).ToList(); }
    }

    public static string KernelRelease() => ReadLine("/proc/sys/kernel/osrelease");
    public static string Hostname() => ReadLine("/proc/sys/kernel/hostname");

    /// <summary>/etc/os-release (a symlink on most systems, and trusted), else /usr/lib/os-release.</summary>
    public static (byte[] Data, string Source) OsRelease(string? overridePath)
    {
        foreach (var path in overridePath is null ? ["/etc/os-release", "/usr/lib/os-release"] : new[] { overridePath })
        {
            try
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
                // Sized by the file (a few hundred bytes), up to the limit: a 64 KiB buffer costs a crash page faults.
                var buf = new byte[(int)Math.Clamp(RandomAccess.GetLength(fs.SafeFileHandle) + 1, 4096, MaxOsReleaseBytes)];
                int n = fs.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
                if (n == buf.Length && n < MaxOsReleaseBytes)
                {
                    Array.Resize(ref buf, MaxOsReleaseBytes); // it grew, or its size is not its length
                    n += fs.ReadAtLeast(buf.AsSpan(n), buf.Length - n, throwOnEndOfStream: false);
                }
                return (buf[..n], path);
            }
            catch (Exception) { } // unreadable: the next candidate, else the placeholder below
        }
        return ("# no os-release found\n"u8.ToArray(), "none");
    }

    /// <summary>The machine's memory and how much of it is available (MemTotal, MemAvailable of /proc/meminfo).</summary>
    public readonly record struct MemoryFigures(long TotalBytes, long AvailableBytes);

    /// <summary>/proc/meminfo's MemTotal and MemAvailable, or null when it cannot be read or lacks them.</summary>
    public static MemoryFigures? Memory()
    {
        try { return ParseMemInfo(File.ReadAllText("/proc/meminfo")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>MemTotal and MemAvailable (in kB) of a /proc/meminfo text; null unless both are there.</summary>
    public static MemoryFigures? ParseMemInfo(string text)
    {
        long? total = null, available = null;
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long kb)) continue;
            if (parts[0] == "MemTotal:") total = kb * 1024;
            else if (parts[0] == "MemAvailable:") available = kb * 1024;
        }
        return total is long t && available is long a ? new MemoryFigures(t, a) : null;
    }

    /// <summary>Most bytes of /proc/&lt;pid&gt;/cgroup kept (one line on cgroup v2).</summary>
    public const int MaxCgroupBytes = 4096;

    /// <summary>Does the crashed process (host pid) live in another mount namespace than cdm? Read while
    /// the core's stream is still open: the task cannot be reaped before, so the pid is still the crashed
    /// process's. Null when either link cannot be read (a missing /proc entry is fine).</summary>
    public static bool? OtherMountNamespace(int hostPid)
    {
        string? theirs = Link($"/proc/{hostPid}/ns/mnt"), ours = Link("/proc/self/ns/mnt");
        return theirs is null || ours is null ? null : theirs != ours;
    }

    /// <summary>/proc/&lt;pid&gt;/cgroup, bounded, non-blocking, trimmed; null when unreadable.</summary>
    public static string? Cgroup(int hostPid)
    {
        try
        {
            using var fs = new FileStream($"/proc/{hostPid}/cgroup", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buf = new byte[MaxCgroupBytes];
            int n = fs.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
            // cgroup names below a delegated subtree are chosen by users: each line rendered printable
            var lines = new List<string>();
            foreach (var range in buf.AsSpan(0, n).Split((byte)'\n'))
                if (range.End.Value > range.Start.Value) lines.Add(DaemonName.Printable(buf.AsSpan(0, n)[range]));
            return lines.Count > 0 ? string.Join('\n', lines) : null;
        }
        catch (Exception) { return null; }
    }

    private static string? Link(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (Exception) { return null; }
    }

    private static string ReadLine(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (Exception) { return ""; }
    }
}
