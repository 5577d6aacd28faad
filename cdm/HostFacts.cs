using System.Text;

namespace CoreDump.Cdm;

/// <summary>Small facts about the machine and the invocation, read without a shell or environment.</summary>
public static class HostFacts
{
    public const int MaxOsReleaseBytes = 64 * 1024;

    public static List<byte[]> RawArguments()
    {
        try { return Capture.InvocationParser.SplitCmdline(File.ReadAllBytes("/proc/self/cmdline")); }
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
                var buf = new byte[MaxOsReleaseBytes];
                int n = fs.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
                return (buf[..n], path);
            }
            catch (Exception) { }
        }
        return ("# no os-release found\n"u8.ToArray(), "none");
    }

    private static string ReadLine(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (Exception) { return ""; }
    }
}
