namespace CoreDump.Tests.Uploader;

/// <summary>Archives rebuilt (with GNU tar and gzip) from a real capture: a cut core, and metadata that names
/// the wrong executable. The report must carry gdb's warnings about them.</summary>
[TestFixture]
public class DamagedCoreTests
{
    /// <summary>Writes crasher.SLOT.TIME.core.tar.gz from <paramref name="source"/>'s members, after
    /// <paramref name="edit"/> (a shell snippet run in the extraction folder, the core is $CORE).</summary>
    private static string Rebuild(UploaderEnv env, string source, int slot, long time, string edit)
    {
        string name = $"{Crashes.CrasherDaemon}.{slot}.{time}";
        Proc.MustSh("""
            set -e
            x=$(mktemp -d); cd "$x"; tar -xzf "$1"
            mv ./*.core "$2.core"; CORE="$2.core"
            eval "$4"
            tar --owner=0 --group=0 -czf "$3/.$2.build" os-release "$2.core" metadata.json
            mv "$3/.$2.build" "$3/$2.core.tar.gz"; : > "$3/$2.core.tar.gz.pending"
            rm -rf "$x"
            """, null, source, name, env.DaemonDir, edit);
        return Path.Combine(env.DaemonDir, name + ".core.tar.gz");
    }

    [Test]
    public void Truncated_core_and_mismatched_executable_are_reported()
    {
        using var env = new UploaderEnv();
        string original = env.Capture("segv", 1_700_000_000);
        string cut = Rebuild(env, original, 5, 1_700_000_500, "truncate -s 150000 \"$CORE\"");
        string wrong = Rebuild(env, original, 6, 1_700_000_600, "sed -i 's#\"executable_path\": \"[^\"]*\"#\"executable_path\": \"/bin/true\"#' metadata.json");
        env.Run();

        string cutReport = UploaderEnv.Report(cut);
        Assert.That(GdbReportTests.Section(cutReport, "warnings"), Does.Contain("gdb:").And.Contain("past end of file").Or.Contain("truncated"), cutReport);
        string wrongReport = UploaderEnv.Report(wrong);
        // the metadata's claim is not believed: the core names the crasher and its build-id proves it
        Assert.That(wrongReport, Does.Not.Contain("executable: /bin/true").And.Contain("executable: " + Crashes.Crasher), wrongReport);
        Assert.That(GdbReportTests.Section(wrongReport, "warnings"), Does.Contain("executable_path /bin/true is not the file the core names"), wrongReport);
        Assert.That(GdbReportTests.Section(wrongReport, "backtrace"), Does.Contain("crash_null_write"), wrongReport);
        Assert.That(GdbReportTests.Section(UploaderEnv.Report(original), "warnings"), Is.EqualTo("(none)"), UploaderEnv.Report(original));
        Assert.That(new[] { cut, wrong }.Select(UploaderEnv.State), Is.All.EqualTo("submitted"));
    }

    [Test]
    public void Missing_gdb_leaves_the_archive_pending_with_a_backoff()
    {
        using var env = new UploaderEnv("gdb = \"/nonexistent/gdb\"");
        string a = env.Capture("segv", 1_700_000_000);
        var r = env.Run();
        Assert.That(r.Stdout, Does.Contain("processed 0, submitted 0, failed 1"));
        Assert.That(UploaderEnv.State(a), Is.EqualTo("pending"));
        Assert.That(File.Exists(a + ".report"), Is.False);
        var m = UploaderEnv.Marker(a);
        Assert.That(m.Attempts, Is.EqualTo(1));
        Assert.That(m.NextAttempt, Is.Not.Null);
        Assert.That(m.LastError, Does.Contain("gdb"));
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(env.StateDir, "work")).Select(Path.GetFileName), Is.EqualTo(new[] { ".cdm-uploader-work" }),
            "nothing but the work folder's sentinel");
    }
}
