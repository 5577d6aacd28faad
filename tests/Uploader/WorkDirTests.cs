namespace CoreDump.Tests.Uploader;

/// <summary>work_dir is only ever a folder the uploader created itself (mode 0700, sentinel inside): the
/// uploader empties it on every analysis, so any other folder is refused with exit 78 and left untouched.</summary>
[TestFixture]
public class WorkDirTests
{
    private const string Sentinel = ".cdm-uploader-work";

    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);

    [Test]
    public void Work_dir_pointed_at_the_outbox_is_refused_and_the_outbox_untouched()
    {
        using var env = new UploaderEnv();
        string a = env.Capture("segv", 1_700_000_000);
        env.Run();
        string delivered = Path.Combine(env.Outbox, UploaderEnv.Marker(a).ReportId + ".report");
        Assert.That(File.Exists(delivered));
        var before = Snapshot(env.Outbox);
        string b = env.Capture("fpe", 1_700_000_100);

        env.WriteConfig($"work_dir = \"{env.Outbox}\"");
        var r = env.Uploader("run");
        Assert.That(r.ExitCode, Is.EqualTo(78), r.Stdout + r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"work_dir {env.Outbox} overlaps outbox {env.Outbox}"));
        Assert.That(Snapshot(env.Outbox), Is.EqualTo(before), "every report still in the outbox, unchanged");
        Assert.That(UploaderEnv.State(b), Is.EqualTo("pending"));
    }

    [Test]
    public void A_foreign_folder_with_files_is_refused_and_its_files_untouched()
    {
        using var env = new UploaderEnv();
        string precious = Path.Combine(env.Root.Dir, "precious");
        Directory.CreateDirectory(Path.Combine(precious, "sub"));
        File.SetUnixFileMode(precious, (UnixFileMode)Convert.ToInt32("700", 8));
        File.WriteAllText(Path.Combine(precious, "a.conf"), "keep me");
        File.WriteAllText(Path.Combine(precious, "sub", "b.db"), "and me");
        var before = Snapshot(precious);
        string a = env.Capture("segv", 1_700_000_000);

        env.WriteConfig($"work_dir = \"{precious}\"");
        foreach (var verb in new[] { "run", "analyze" })
        {
            var r = env.Uploader(verb);
            Assert.That(r.ExitCode, Is.EqualTo(78), r.Stdout + r.Stderr);
            Assert.That(r.Stderr, Does.Contain($"work_dir {precious} refused: it is not a folder the uploader created (no {Sentinel} inside)"));
        }
        Assert.That(Snapshot(precious), Is.EqualTo(before));
        Assert.That(Directory.GetDirectories(precious), Has.Length.EqualTo(1));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("pending"));
        Assert.That(File.ReadAllText(env.LogFile), Does.Contain("not a folder the uploader created"));
        Assert.That(env.Uploader("deliver").ExitCode, Is.EqualTo(0), "delivery never uses work_dir");
    }

    [Test]
    public void An_empty_folder_the_admin_made_is_refused_too()
    {
        using var env = new UploaderEnv();
        string made = Path.Combine(env.Root.Dir, "made-by-admin");
        Directory.CreateDirectory(made);
        File.SetUnixFileMode(made, (UnixFileMode)Convert.ToInt32("700", 8));
        env.WriteConfig($"work_dir = \"{made}\"");
        var r = env.Uploader("run");
        Assert.That(r.ExitCode, Is.EqualTo(78), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("not a folder the uploader created"));
        Assert.That(Directory.GetFileSystemEntries(made), Is.Empty, "no sentinel planted in it");
    }

    [Test]
    public void A_symlink_and_a_path_through_a_symlink_into_corepath_are_refused()
    {
        using var env = new UploaderEnv();
        string a = env.Capture("segv", 1_700_000_000);
        string target = Path.Combine(env.Root.Dir, "elsewhere");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "file"), "x");
        string link = Path.Combine(env.Root.Dir, "work-link");
        File.CreateSymbolicLink(link, target);
        env.WriteConfig($"work_dir = \"{link}\"");
        var r = env.Uploader("run");
        Assert.That(r.ExitCode, Is.EqualTo(78), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("symlink"));
        Assert.That(File.ReadAllText(Path.Combine(target, "file")), Is.EqualTo("x"));

        string intoCore = Path.Combine(env.Root.Dir, "core-link");
        File.CreateSymbolicLink(intoCore, env.DaemonDir);
        env.WriteConfig($"work_dir = \"{intoCore}/work\"");
        var viaLink = env.Uploader("run");
        Assert.That(viaLink.ExitCode, Is.EqualTo(78), viaLink.Stderr);
        Assert.That(viaLink.Stderr, Does.Contain($"its real path is {env.DaemonDir}/work").And.Contain("overlaps corepath"));
        Assert.That(Directory.Exists(Path.Combine(env.DaemonDir, "work")), Is.False, "nothing created inside corepath");
        Assert.That(UploaderEnv.State(a), Is.EqualTo("pending"));
    }

    [Test]
    public void The_uploader_creates_its_own_work_dir_and_keeps_using_it()
    {
        using var env = new UploaderEnv();
        string work = Path.Combine(env.Root.Dir, "new", "work");
        env.WriteConfig($"work_dir = \"{work}\"");
        string a = env.Capture("segv", 1_700_000_000);
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(File.GetUnixFileMode(work), Is.EqualTo((UnixFileMode)Convert.ToInt32("700", 8)), "0700");
        Assert.That(Directory.GetFileSystemEntries(work).Select(Path.GetFileName), Is.EqualTo(new[] { Sentinel }));
        Assert.That(Directory.GetFileSystemEntries(Path.GetDirectoryName(work)!).Select(Path.GetFileName), Is.EqualTo(new[] { "work" }), "no temporary left beside it");

        string leftover = Path.Combine(work, "x.1.killed-run");
        Directory.CreateDirectory(leftover);
        File.WriteAllText(Path.Combine(leftover, "core"), "partial core of a killed run");
        env.Capture("fpe", 1_700_000_100);
        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("processed 1, submitted 1"));
        Assert.That(Directory.GetFileSystemEntries(work).Select(Path.GetFileName), Is.EqualTo(new[] { Sentinel }), "the killed run's leftover removed, the sentinel kept");
    }

    [Test]
    public void An_empty_default_work_dir_of_an_older_version_is_taken_over_but_a_full_one_is_not()
    {
        using var env = new UploaderEnv();
        string work = Path.Combine(env.StateDir, "work");
        Directory.CreateDirectory(work);
        File.SetUnixFileMode(env.StateDir, (UnixFileMode)Convert.ToInt32("750", 8));
        File.SetUnixFileMode(work, (UnixFileMode)Convert.ToInt32("700", 8));
        string a = env.Capture("segv", 1_700_000_000);
        env.Run();
        Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
        Assert.That(File.Exists(Path.Combine(work, Sentinel)));

        File.Delete(Path.Combine(work, Sentinel));
        File.WriteAllText(Path.Combine(work, "not-ours"), "x");
        var r = env.Uploader("analyze");
        Assert.That(r.ExitCode, Is.EqualTo(78), r.Stderr);
        Assert.That(File.ReadAllText(Path.Combine(work, "not-ours")), Is.EqualTo("x"));
    }
}
