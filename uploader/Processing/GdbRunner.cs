using System.Diagnostics;
using CoreDump.Upload;

namespace CoreDump.Uploader.Processing;

public sealed record GdbResult(string Stdout, string Stderr, int ExitCode, bool TimedOut)
{
    /// <summary>timeout(1) could not execute gdb (126: not executable, 127: not found).</summary>
    public bool NotStarted => ExitCode is 126 or 127 && Stdout.Length == 0;
}

/// <summary>Runs real gdb in batch mode on a core: no init files, no debuginfod, no pagination, bounded in
/// time (coreutils timeout as well, so gdb dies on time even if the uploader is killed).</summary>
public static class GdbRunner
{
    private const int MaxOutput = 8 << 20;

    public static readonly (string Key, string Command)[] Commands =
    [
        ("bt", "bt"), ("insn", "x/i $pc"), ("regs", "info registers"), ("shlib", "info sharedlibrary"),
        ("maps", "info proc mappings"), ("all", "thread apply all bt full"),
    ];

    public static List<string> BatchArguments(string? executable, string core)
    {
        var args = new List<string> { "-nx", "-nh", "-batch", "-iex", "set debuginfod enabled off", "-iex", "set pagination off",
            "-iex", "set confirm off", "-iex", "set auto-load safe-path /", "-iex", "set print frame-arguments scalars" };
        foreach (var (key, command) in Commands)
            args.AddRange(["-ex", $"echo \\n{GdbOutput.SectionMark}{key}\\n", "-ex", command]);
        if (executable is not null) args.Add(executable);
        args.AddRange(["-c", core]);
        return args;
    }

    public static GdbResult Run(string gdb, string? executable, string core, int timeoutSeconds, string cwd)
    {
        var psi = Start(gdb, BatchArguments(executable, core), timeoutSeconds, cwd);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        Process p;
        try { p = Process.Start(psi) ?? throw new IOException($"cannot start {gdb}"); }
        catch (System.ComponentModel.Win32Exception e) { throw new IOException($"cannot run gdb '{gdb}': {e.Message}", e); }
        using var _ = p;
        p.StandardInput.Close();
        var stdout = ReadBounded(p.StandardOutput);
        var stderr = ReadBounded(p.StandardError);
        bool exited = p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds + 15));
        if (!exited) { try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } p.WaitForExit(); }
        bool timedOut = !exited || (UsesTimeout && p.ExitCode is 124 or 137);
        return new GdbResult(stdout.Result, stderr.Result, exited ? p.ExitCode : -1, timedOut);
    }

    /// <summary>For `uploader debug`: gdb attached to the terminal.</summary>
    public static int Interactive(string gdb, string? executable, string core, string cwd)
    {
        var args = new List<string> { "-nx", "-iex", "set debuginfod enabled off" };
        if (executable is not null) args.Add(executable);
        args.AddRange(["-c", core]);
        var psi = new ProcessStartInfo(gdb) { UseShellExecute = false, WorkingDirectory = cwd };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new IOException($"cannot start {gdb}");
        p.WaitForExit();
        return p.ExitCode;
    }

    private static readonly string? TimeoutTool = new[] { "/usr/bin/timeout", "/bin/timeout" }.FirstOrDefault(File.Exists);
    private static bool UsesTimeout => TimeoutTool is not null;

    private static ProcessStartInfo Start(string gdb, List<string> args, int timeoutSeconds, string cwd)
    {
        var psi = new ProcessStartInfo(TimeoutTool ?? gdb) { UseShellExecute = false, WorkingDirectory = cwd };
        if (TimeoutTool is not null) foreach (var a in new[] { "-k", "5", $"{timeoutSeconds}s", gdb }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBUGINFOD_URLS"] = "";
        psi.Environment["LC_ALL"] = "C";
        return psi;
    }

    private static async Task<string> ReadBounded(StreamReader r)
    {
        var sb = new System.Text.StringBuilder();
        var buf = new char[65536];
        int n;
        while ((n = await r.ReadAsync(buf)) > 0)
            if (sb.Length < MaxOutput) sb.Append(buf, 0, Math.Min(n, MaxOutput - sb.Length));
        if (sb.Length >= MaxOutput) sb.Append("\n[output cut at 8 MiB]\n");
        return sb.ToString();
    }
}
