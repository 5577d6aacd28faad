using System.Diagnostics;
using System.Text.Json;
using CoreDump.Uploader.Markers;

namespace CoreDump.Tests.Uploader;

/// <summary>A private tree for the real uploader: cdm's corepath (TempRoot), an uploader config, outbox,
/// state dir and log, all under the temp root.</summary>
internal sealed class UploaderEnv : IDisposable
{
    public TempRoot Root { get; } = new(maxcore: 20);
    public string ConfigFile => Path.Combine(Root.Dir, "uploader.toml");
    public string Outbox => Path.Combine(Root.Dir, "outbox");
    public string StateDir => Path.Combine(Root.Dir, "state");
    public string LogFile => Path.Combine(Root.Dir, "log", "uploader.log");
    public string DaemonDir => Root.DaemonDir(Crashes.CrasherDaemon);

    public UploaderEnv(string extraToml = "") => WriteConfig(extraToml);

    /// <summary>The tests' crash databases (CrashDbServer) listen on http://127.0.0.1, which must be allowed explicitly.</summary>
    public void WriteConfig(string extraToml) => File.WriteAllText(ConfigFile,
        $"corepath = \"{Root.CorePath}\"\noutbox = \"{Outbox}\"\nstate_dir = \"{StateDir}\"\nlog_file = \"{LogFile}\"\n" +
        $"gdb_timeout_seconds = 60\nrun_timeout_seconds = 300\nallow_http_hosts = [\"127.0.0.1\"]\n{extraToml}\n");

    public static string Server(string url, int timeoutSeconds = 5, string more = "") =>
        $"[[server]]\nurl = \"{url}\"\ntimeout_seconds = {timeoutSeconds}\n{more}\n";

    /// <summary>A real crash of the test program in <paramref name="mode"/>, captured by the real cdm.</summary>
    public string Capture(string mode, long time)
    {
        var crash = Crashes.Make(mode);
        var r = KernelLike.Capture(Root, "crasher", time, crash.CorePath);
        Assert.That(r.ExitCode, Is.EqualTo(0), $"cdm: {r.Stderr}");
        string archive = Root.Archives(Crashes.CrasherDaemon).Single(a => a.Contains($".{time}.", StringComparison.Ordinal));
        return Path.Combine(DaemonDir, archive);
    }

    public ProcResult Uploader(params string[] args) => Proc.Run(Paths.Uploader, ["--config", ConfigFile, .. args]);

    public ProcResult Run()
    {
        var r = Uploader("run");
        Assert.That(r.ExitCode, Is.EqualTo(0), $"uploader run: {r.Stdout}\n{r.Stderr}");
        return r;
    }

    public Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Paths.Uploader) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--config", ConfigFile, .. args]) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public List<ListEntry> List()
    {
        var r = Uploader("list", "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        return JsonSerializer.Deserialize(r.Stdout, UploadJsonContext.Default.ListListEntry)!;
    }

    public static string State(string archive) =>
        new[] { "pending", "processed", "submitted", "rejected" }.Where(s => File.Exists($"{archive}.{s}")).DefaultIfEmpty("none").Single();

    public static MarkerInfo Marker(string archive) =>
        MarkerInfo.Parse(File.ReadAllBytes($"{archive}.{State(archive)}"));

    public static string Report(string archive) => File.ReadAllText(archive + ".report");

    public void Dispose() => Root.Dispose();
}
