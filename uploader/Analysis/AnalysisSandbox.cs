using System.Diagnostics;
using CoreDump.Native;
using CoreDump.Uploader.Config;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Uploader.Analysis;

/// <summary>What a sandboxed batch run left behind: its output files read back (bounded) and how it ended.</summary>
internal sealed record SandboxResult(string Stdout, string Stderr, int ExitCode, bool TimedOut, bool OutputCut, TimeSpan Elapsed);

/// <summary>Runs untrusted-input analysis (gdb) without root and without network, in a PID namespace that dies
/// whole, under rlimits (docs/uploader.md, "Trust boundary"). Applied in-process, so `cdm-uploader run` from a
/// root shell is as confined as the systemd unit. Nothing runs unconfined: when the sandbox cannot be built
/// (not root, tools missing, a refused identity) the analysis is refused with the reason.</summary>
internal sealed class AnalysisSandbox
{
    private const int ReadBackMax = 8 << 20;
    public const string OutFile = "gdb.out", ErrFile = "gdb.err";

    public AnalysisIdentity Identity { get; }
    public SandboxLimits Limits { get; }
    private readonly SandboxCommand.Tools _tools;
    private readonly string? _symbols;

    private AnalysisSandbox(AnalysisIdentity id, SandboxLimits limits, SandboxCommand.Tools tools, string? symbols)
    {
        Identity = id; Limits = limits; _tools = tools; _symbols = symbols;
    }

    /// <summary>The debuginfod cache gdb may read (bound read-only into the sandbox): configured, present and
    /// the uploader's own (root's, not writable by group or others); else null and gdb reads no cache.</summary>
    public string? SymbolsFolder()
    {
        if (_symbols is null) return null;
        using var d = Store.SafeDirectory.OpenExistingPath(_symbols, out _);
        return d is null ? null : _symbols;
    }

    public static AnalysisSandbox Create(UploaderConfig c)
    {
        if (Posix.Geteuid() != 0)
            throw new IOException($"the analysis sandbox needs root (to create namespaces and switch to the analysis uid); the uploader runs as uid {Posix.Geteuid()}, so gdb is not run");
        string passwd;
        try { passwd = File.ReadAllText("/etc/passwd"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { passwd = ""; }
        var id = AnalysisIdentity.Resolve(c.AnalysisUser, passwd, out var refusal) ?? throw new IOException(refusal);
        string Tool(string name) => new[] { "/usr/bin/" + name, "/bin/" + name, "/usr/sbin/" + name, "/sbin/" + name }.FirstOrDefault(File.Exists)
            ?? throw new IOException($"the analysis sandbox needs {name} (util-linux/coreutils), not found: gdb is not run");
        var tools = new SandboxCommand.Tools(Tool("unshare"), Tool("timeout"), Tool("prlimit"), Tool("setpriv"), Tool("mount"));
        return new AnalysisSandbox(id, new SandboxLimits(c.AnalysisMemoryBytes, c.AnalysisCpuSeconds, c.AnalysisMaxProcesses, c.AnalysisOutputBytes), tools,
            c.DebuginfodUrls.Count > 0 ? Symbols.SymbolCache.PathFor(c.StateDir) : null);
    }

    /// <summary>Makes a private folder usable as the sandbox's /tmp: root-owned, 0711, so the analysis uid can
    /// open the files it is granted but cannot list or create anything. Its parent stays 0700.</summary>
    public static void PrepareFolder(string dir) =>
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

    /// <summary>Hands a file in the private folder to the analysis uid, read-only (0400).</summary>
    public void Grant(string path)
    {
        SafeFileHandle file;
        try { file = Posix.OpenAt(SafeDirectoryHandle.CurrentDirectory, path, Posix.O_RDONLY | Posix.O_NOFOLLOW); }
        catch (PosixException e) { throw new IOException($"cannot open {path}: {Posix.Describe(e.Errno)}", e); }
        using (file)
        {
            try
            {
                Posix.Fchown(file, Identity.Uid, Identity.Gid, path);
                Posix.Fchmod(file, FileModes.Mode0400, path);
            }
            catch (PosixException e) { throw new IOException($"cannot hand {path} to uid {Identity.Uid}: {Posix.Describe(e.Errno)}", e); }
        }
    }

    /// <summary>Runs <paramref name="program"/> in the sandbox with <paramref name="dir"/> as working directory,
    /// stdin /dev/null, stdout and stderr into files of that folder (never a pipe: a process the program leaves
    /// behind cannot make the uploader wait). Returns within the time limit plus a few seconds, always.</summary>
    public SandboxResult RunBatch(string program, IReadOnlyList<string> args, string dir, int timeoutSeconds, int readBackMax = ReadBackMax, string? symbols = null)
    {
        string Path_(string f) => Path.Combine(dir, f);
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = dir };
        foreach (var a in new[] { "-c", "o=$1 e=$2; shift 2; exec \"$@\" </dev/null >\"$o\" 2>\"$e\"", "sh", OutFile, ErrFile })
            psi.ArgumentList.Add(a);
        foreach (var a in SandboxCommand.Wrap(_tools, Identity, Limits, timeoutSeconds, dir, program, args, symbols)) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var (k, v) in SandboxCommand.Environment()) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        Process p;
        try { p = Process.Start(psi) ?? throw new IOException("cannot start the analysis sandbox"); }
        catch (System.ComponentModel.Win32Exception e) { throw new IOException($"cannot start the analysis sandbox: {e.Message}", e); }
        using var _ = p;
        bool exited = p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds + 10));
        if (!exited)
        {
            // unshare dies → --kill-child kills PID 1 of the namespace → the kernel kills the rest
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(TimeSpan.FromSeconds(10));
        }
        int code = p.HasExited ? p.ExitCode : -1;
        var elapsed = clock.Elapsed;
        bool timedOut = !exited || code is 124 or 137 || elapsed >= TimeSpan.FromSeconds(timeoutSeconds);
        string stdout = ReadBack(Path_(OutFile), readBackMax, out bool cutOut);
        string stderr = ReadBack(Path_(ErrFile), ReadBackMax, out bool cutErr);
        bool cut = cutOut || cutErr || code == 128 + 25; // SIGXFSZ: the file-size limit stopped the output
        // not an analysis result: the archive waits for a later run, with the reason
        if (!timedOut && SandboxCommand.SetupFailure(stdout, stderr, code) is { } failure)
            throw new IOException($"the analysis sandbox could not be set up ({failure}); {Path.GetFileName(program)} did not run");
        return new SandboxResult(stdout, stderr, code, timedOut, cut, elapsed);
    }

    /// <summary>For `debug`: the program on the caller's terminal, in the same sandbox but without a time limit.</summary>
    public int RunInteractive(string program, IReadOnlyList<string> args, string dir, string? symbols = null)
    {
        var psi = new ProcessStartInfo(_tools.Unshare) { UseShellExecute = false, WorkingDirectory = dir };
        var argv = SandboxCommand.Wrap(_tools, Identity, Limits with { CpuSeconds = int.MaxValue / 2 }, null, dir, program, args, symbols);
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var (k, v) in SandboxCommand.Environment(Environment.GetEnvironmentVariable("TERM"))) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new IOException("cannot start the analysis sandbox");
        p.WaitForExit();
        return p.ExitCode;
    }

    private static string ReadBack(string path, int max, out bool cut)
    {
        cut = false;
        SafeFileHandle handle;
        // the program's output files; missing or replaced by something else, there is nothing to read back
        try { handle = Posix.OpenAt(SafeDirectoryHandle.CurrentDirectory, path, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_NONBLOCK); }
        catch (PosixException) { return ""; }
        using var f = new FileStream(handle, FileAccess.Read);
        var st = Posix.Fstat(handle, path);
        if (!st.IsRegular) return "";
        var buf = new byte[(int)Math.Min(st.Size, max)];
        int n = 0, r;
        while (n < buf.Length && (r = f.Read(buf, n, buf.Length - n)) > 0) n += r;
        cut = st.Size > max;
        return System.Text.Encoding.UTF8.GetString(buf, 0, n);
    }
}
