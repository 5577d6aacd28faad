using System.Globalization;

namespace CoreDump.Uploader.Analysis;

/// <summary>Limits of the analysis child (config keys analysis_*).</summary>
internal sealed record SandboxLimits(long AddressSpaceBytes, int CpuSeconds, int MaxProcesses, long OutputBytes);

/// <summary>The command line that runs a program in the analysis sandbox, built from util-linux and coreutils
/// tools (system binaries, trusted):
/// unshare --net --pid --fork --kill-child --mount-proc: a new network namespace (only a down loopback), a new
///   PID namespace and a private mount namespace. Its first process (still root) is PID 1: when it exits, the
///   kernel kills every process left in the namespace, so no detached child outlives the analysis.
///   --kill-child: if the uploader kills unshare, PID 1 gets SIGKILL and the namespace goes with it.
/// sh -c 'mount --bind FOLDER /tmp; cd /tmp': the private folder (under a 0700 work_dir the analysis uid cannot
///   traverse) becomes /tmp inside the namespace. gdb opens its files by absolute path, so they must be
///   reachable; and the real /tmp (where an unprivileged attacker plants libraries, scripts and FIFOs) is hidden.
/// timeout -s KILL N: the time limit, enforced inside even if the uploader itself dies.
/// prlimit: hard and soft limits on address space, CPU seconds, processes, file size (gdb's output), no cores.
/// setpriv: the analysis uid/gid, no supplementary groups, no capabilities in any set, no_new_privs.</summary>
internal static class SandboxCommand
{
    public sealed record Tools(string Unshare, string Timeout, string Prlimit, string Setpriv, string Mount, string Shell = "/bin/sh");

    /// <summary>Where the private folder appears inside the sandbox (and the sandboxed program's working directory).</summary>
    public const string Mountpoint = "/tmp";

    /// <summary>$1 = mount(8), $2 = the folder, then the command.</summary>
    private const string EnterFolder = "\"$1\" -n --bind -- \"$2\" " + Mountpoint + " && cd " + Mountpoint + " && shift 2 && exec \"$@\"";

    /// <summary>Where the debuginfod cache appears inside the sandbox, read-only (a folder root creates in the private folder).</summary>
    public const string SymbolsMountpoint = Mountpoint + "/symbols";

    /// <summary>$1 = mount(8), $2 = the folder, $3 = the debuginfod cache, then the command. The cache is bound
    /// read-only onto the folder's `symbols` first (its path may lie below the /tmp about to be hidden), then the
    /// folder with that submount (--rbind keeps it, read-only) becomes /tmp.</summary>
    private const string EnterFolderWithSymbols = "mkdir -p -m 0755 \"$2/symbols\" && \"$1\" -n --bind -o ro -- \"$3\" \"$2/symbols\" && \"$1\" -n --rbind -- \"$2\" "
        + Mountpoint + " && cd " + Mountpoint + " && shift 3 && exec \"$@\"";

    /// <param name="symbols">the debuginfod cache to show the program read-only at <see cref="SymbolsMountpoint"/>, or null</param>
    public static List<string> Wrap(Tools t, AnalysisIdentity id, SandboxLimits l, int? timeoutSeconds, string folder, string program, IEnumerable<string> args, string? symbols = null)
    {
        string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        var argv = new List<string> { t.Unshare, "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--", t.Shell, "-c" };
        argv.AddRange(symbols is null ? [EnterFolder, "sandbox", t.Mount, folder] : [EnterFolderWithSymbols, "sandbox", t.Mount, folder, symbols]);
        if (timeoutSeconds is int s) argv.AddRange([t.Timeout, "-s", "KILL", N(s) + "s"]);
        argv.AddRange([t.Prlimit, $"--as={N(l.AddressSpaceBytes)}", $"--cpu={N(l.CpuSeconds)}", $"--nproc={N(l.MaxProcesses)}",
            $"--fsize={N(l.OutputBytes)}", "--core=0", "--"]);
        argv.AddRange([t.Setpriv, $"--reuid={id.Uid}", $"--regid={id.Gid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--", program]);
        argv.AddRange(args);
        return argv;
    }

    /// <summary>The environment of the sandboxed program: nothing inherited.</summary>
    public static Dictionary<string, string> Environment(string? term = null)
    {
        var env = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin", ["LC_ALL"] = "C", ["HOME"] = "/nonexistent", ["DEBUGINFOD_URLS"] = "",
            ["PYTHONNOUSERSITE"] = "1", ["PYTHONDONTWRITEBYTECODE"] = "1", ["PYTHONSAFEPATH"] = "1",
        };
        if (term is { Length: > 0 }) env["TERM"] = term;
        return env;
    }

    /// <summary>The sandbox itself failed to start (namespaces not permitted, a tool refused), as opposed to the
    /// program failing inside it: nothing on stdout, a non-zero status and a tool's own message on stderr.
    /// Returns that message, or null.</summary>
    public static string? SetupFailure(string stdout, string stderr, int exitCode)
    {
        if (stdout.Length > 0 || exitCode == 0) return null;
        string[] tools = ["unshare:", "setpriv:", "prlimit:", "mount:", "timeout:", "sandbox:", "mkdir:"];
        return stderr.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => tools.Any(t => l.StartsWith(t, StringComparison.Ordinal)));
    }
}
