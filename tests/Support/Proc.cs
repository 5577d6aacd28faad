using System.Diagnostics;

namespace CoreDump.Tests.Support;

internal sealed record ProcResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs real processes for the tests.</summary>
internal static class Proc
{
    public static ProcResult Run(string file, IEnumerable<string> args, string? cwd = null, string? stdinFile = null,
        IDictionary<string, string>? env = null, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdinFile is not null,
            UseShellExecute = false, WorkingDirectory = cwd ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdinFile is not null)
        {
            using (var f = File.OpenRead(stdinFile)) f.CopyTo(p.StandardInput.BaseStream);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeoutMs)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} timed out"); }
        p.WaitForExit();
        return new ProcResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a shell snippet with sh -c; extra args become $1...</summary>
    public static ProcResult Sh(string script, string? cwd = null, int timeoutMs = 120_000, params string[] args) =>
        Run("/bin/sh", ["-c", script, "sh", .. args], cwd, timeoutMs: timeoutMs);

    public static ProcResult MustSh(string script, string? cwd = null, params string[] args)
    {
        var r = Sh(script, cwd, 120_000, args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"sh failed ({r.ExitCode}): {script}\n{r.Stdout}\n{r.Stderr}");
        return r;
    }
}
