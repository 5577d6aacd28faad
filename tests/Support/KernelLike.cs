using System.Text;

namespace CoreDump.Tests.Support;

/// <summary>Runs the published cdm the way the kernel does: empty environment (only the test's config
/// override), cwd /, fds 1 and 2 closed, the core on stdin, arguments as raw bytes.</summary>
internal static class KernelLike
{
    private const string Script =
        "n=\"$(printf \"$4\"; echo x)\"; n=\"${n%x}\"; cfg=\"$1\"; osr=\"$2\"; cdm=\"$3\"; core=\"$5\"; shift 5; " +
        "cd \"${CWD:-/}\" && exec env -i CDM_CONFIG=\"$cfg\" CDM_OS_RELEASE=\"$osr\" \"$cdm\" \"$n\" \"$@\" <\"$core\" 1>&- 2>&-";

    /// <summary>Captures <paramref name="stdinFile"/> as a crash of <paramref name="rawName"/> at <paramref name="time"/>.</summary>
    public static ProcResult Capture(TempRoot root, byte[] rawName, string stdinFile, params string[] moreArgs) =>
        Proc.Run("/bin/sh", ["-c", Script, "sh", root.ConfigFile, root.OsRelease, Paths.Cdm, PrintfFormat(rawName), stdinFile, .. moreArgs]);

    public static ProcResult Capture(TempRoot root, string name, long time, string stdinFile, params string[] moreArgs) =>
        Capture(root, Encoding.UTF8.GetBytes(name), stdinFile, [time.ToString(), .. moreArgs]);

    /// <summary>Starts cdm with its stdin left open for the caller to feed (for concurrency tests).</summary>
    public static System.Diagnostics.Process Start(TempRoot root, string name, long time)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true, UseShellExecute = false, WorkingDirectory = "/",
        };
        foreach (var a in new[] { "-c", "exec env -i CDM_CONFIG=\"$1\" CDM_OS_RELEASE=\"$2\" \"$3\" \"$4\" \"$5\" 1>&- 2>&-", "sh",
                     root.ConfigFile, root.OsRelease, Paths.Cdm, name, time.ToString() })
            psi.ArgumentList.Add(a);
        return System.Diagnostics.Process.Start(psi)!;
    }

    /// <summary>Every byte as a printf octal escape, so any byte value reaches argv exactly.</summary>
    public static string PrintfFormat(byte[] raw)
    {
        var sb = new StringBuilder();
        foreach (byte b in raw) sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
        return sb.ToString();
    }
}
