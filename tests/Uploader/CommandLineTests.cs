namespace CoreDump.Tests.Uploader;

[TestFixture]
public class CommandLineTests
{
    [Test]
    public void Bad_config_exits_78_with_a_clear_message()
    {
        using var env = new UploaderEnv();
        File.WriteAllText(env.ConfigFile, "corepath = \n");
        var r = env.Uploader("run");
        Assert.That(r.ExitCode, Is.EqualTo(78));
        Assert.That(r.Stderr, Does.Contain("bad configuration").And.Contain(env.ConfigFile).And.Contain("(1,"));

        File.WriteAllText(env.ConfigFile, "gdb_timeout_seconds = \"ten\"\n");
        Assert.That(env.Uploader("list").ExitCode, Is.EqualTo(78));
        File.WriteAllText(env.ConfigFile, "[[server]]\nurl = \"ftp://x\"\n");
        Assert.That(env.Uploader("list").Stderr, Does.Contain("server[0].url"));
    }

    [Test]
    public void Unknown_keys_are_warnings_and_config_may_follow_the_subcommand()
    {
        using var env = new UploaderEnv("colour = \"blue\"");
        var r = Proc.Run(Paths.Uploader, ["list", "--json", "--config", env.ConfigFile]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout.Trim(), Is.EqualTo("[]"));
        Assert.That(r.Stderr, Does.Contain("unknown key 'colour'"));
    }

    [Test]
    public void Missing_config_file_means_defaults()
    {
        var r = Proc.Run(Paths.Uploader, ["--config", "/nonexistent/uploader.toml", "list", "--json"]);
        Assert.That(r.ExitCode, Is.AnyOf(0, 74), r.Stderr);   // /var/core may or may not exist on this machine
        Assert.That(r.Stderr, Does.Not.Contain("bad configuration"));
    }

    [Test]
    public void Info_and_debug_of_an_unknown_archive_exit_66()
    {
        using var env = new UploaderEnv();
        Assert.That(env.Uploader("info", "nope.1.1.core.tar.gz").ExitCode, Is.EqualTo(66));
        Assert.That(env.Uploader("debug", "nope").ExitCode, Is.EqualTo(66));
        Assert.That(env.Uploader("frobnicate").ExitCode, Is.EqualTo(1));
    }

    [Test]
    public void Info_shows_state_and_report_and_debug_runs_gdb_on_the_core()
    {
        using var env = new UploaderEnv();
        string a = env.Capture("segv", 1_700_000_000);
        env.Run();
        var info = env.Uploader("info", Path.GetFileName(a));
        Assert.That(info.ExitCode, Is.EqualTo(0), info.Stderr);
        Assert.That(info.Stdout, Does.Contain("state: submitted").And.Contain("crash_null_write"));
        string id = UploaderEnv.Marker(a).ReportId!;
        Assert.That(env.Uploader("info", id[..8]).Stdout, Does.Contain(a));

        string cmds = Path.Combine(env.Root.Dir, "gdb-cmds");
        File.WriteAllText(cmds, "bt\nquit\n");
        var dbg = Proc.Run("/bin/sh", ["-c", "\"$1\" --config \"$2\" debug \"$3\" < \"$4\"", "sh", Paths.Uploader, env.ConfigFile, a, cmds]);
        Assert.That(dbg.Stdout + dbg.Stderr, Does.Contain("crash_null_write"));
        Assert.That(dbg.ExitCode, Is.EqualTo(0), dbg.Stderr);
    }

    [Test]
    public void Second_run_while_one_holds_the_lock_exits_75()
    {
        using var env = new UploaderEnv();
        Directory.CreateDirectory(env.StateDir);
        string lockFile = Path.Combine(env.StateDir, "uploader.lock");
        string ready = Path.Combine(env.Root.Dir, "locked");
        var psi = new System.Diagnostics.ProcessStartInfo("flock") { UseShellExecute = false };
        foreach (var a in new[] { lockFile, "-c", $"touch '{ready}'; exec sleep 30" }) psi.ArgumentList.Add(a);
        using var holder = System.Diagnostics.Process.Start(psi)!;
        for (int i = 0; i < 400 && !File.Exists(ready); i++) Thread.Sleep(25);
        var r = env.Uploader("run");
        holder.Kill(entireProcessTree: true);
        Assert.That(r.ExitCode, Is.EqualTo(75), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("another uploader run"));
    }
}
