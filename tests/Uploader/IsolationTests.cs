using System.Text;
using CoreDump.Cdm.Intake;

namespace CoreDump.Tests.Uploader;

/// <summary>One corepath holding good real crashes next to poisoned archives: garbage named like an archive,
/// a real capture cut inside its core, a real capture whose metadata.json has null list fields, a marker that
/// does not parse, a marker with out-of-range times, and a real crash of a program that lives in a directory
/// whose name holds a newline and an over-long hex number (a fake `info proc mappings` line) and whose
/// process name holds a newline. The good crashes are reported and delivered; each bad archive carries its
/// reason in its marker (visible in `list` and `info`); every run exits 0, also the later ones.</summary>
[TestFixture]
public class IsolationTests
{
    private const string FakeMapping = "0x1fffffffffffffffffffff 0x1 0x1 0x0 ";

    private sealed record Poisoned(string Garbage, string Cut, string NullLists, string Newline, string FarFuture);

    [Test]
    public async Task Poisoned_archives_fail_alone_and_good_ones_reach_the_http_server()
    {
        using var server = new CrashDbServer();
        using var env = new UploaderEnv(UploaderEnv.Server(server.Url));
        var good = Good(env);
        var bad = Poison(env, good[0]);

        AssertRunsCleanly(env, good, bad);
        await Task.Delay(100);
        var ids = good.Select(a => UploaderEnv.Marker(a).ReportId!).ToList();
        Assert.That(server.Stored.Keys, Is.SupersetOf(ids), "every good report reached the crash database");
        foreach (var a in good) Assert.That(server.Stored[UploaderEnv.Marker(a).ReportId!], Does.Contain(UploaderEnv.Report(a)), "the multipart field holds the report");
        Assert.That(server.Stored[ids[0]], Does.Contain("crash_null_write"));
        Assert.That(server.Stored[ids[1]], Does.Contain("crash_divide"));
    }

    [Test]
    public void Poisoned_archives_fail_alone_and_good_ones_reach_the_outbox()
    {
        using var env = new UploaderEnv();
        var good = Good(env);
        var bad = Poison(env, good[0]);

        AssertRunsCleanly(env, good, bad);
        foreach (var a in good)
            Assert.That(File.ReadAllText(Path.Combine(env.Outbox, UploaderEnv.Marker(a).ReportId + ".report")), Is.EqualTo(UploaderEnv.Report(a)));
    }

    private static string[] Good(UploaderEnv env)
    {
        string segv = env.Capture("segv", 1_700_000_000);
        string fpe = env.Capture("fpe", 1_700_000_100);
        File.WriteAllText(fpe + ".pending", "{\"attempts\": \"not a number\", ");   // a marker that does not parse counts as empty
        return [segv, fpe];
    }

    private static Poisoned Poison(UploaderEnv env, string source)
    {
        string garbage = Path.Combine(env.DaemonDir, $"{Crashes.CrasherDaemon}.11.1700000300.core.tar.gz");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251)).ToArray());
        File.WriteAllText(garbage + ".pending", "\u0000\u0001garbage marker");

        string cut = DamagedArchive(env, source, 12, 1_700_000_400, "head -c 300000 \"$CORE\" > c && mv c \"$CORE\"", truncateTar: true);
        string nullLists = DamagedArchive(env, source, 13, 1_700_000_500,
            "printf '{\"format_version\":1,\"argv\":null,\"options\":null,\"mapped_files\":null,\"warnings\":null,\"executable_path\":null}' > metadata.json");

        string farFuture = Path.Combine(env.DaemonDir, $"{Crashes.CrasherDaemon}.14.99999999999999.core.tar.gz");
        File.WriteAllBytes(farFuture, [0x1f, 0x8b, 0x08, 0, 0, 0]);
        File.WriteAllText(farFuture + ".pending", "{\"next_attempt\": 9223372036854775807, \"attempts\": 2147483647, \"last_attempt\": -9223372036854775808}");

        return new Poisoned(garbage, cut, nullLists, NewlineCrash(env), farFuture);
    }

    /// <summary>Rebuilds a real capture with GNU tar/gzip after <paramref name="edit"/> (run in the extraction
    /// folder; the core is $CORE); with <paramref name="truncateTar"/> the tar stream is cut inside the core member
    /// while its header keeps the original size.</summary>
    private static string DamagedArchive(UploaderEnv env, string source, int slot, long time, string edit, bool truncateTar = false)
    {
        string name = $"{Crashes.CrasherDaemon}.{slot}.{time}";
        Proc.MustSh("""
            set -e
            x=$(mktemp -d); cd "$x"; tar -xzf "$1"
            mv ./*.core "$2.core"; CORE="$2.core"
            if [ "$5" = cut ]; then tar --owner=0 --group=0 -cf t os-release "$2.core" metadata.json; head -c 200000 t | gzip > "$3/.$2.build"
            else eval "$4"; tar --owner=0 --group=0 -czf "$3/.$2.build" os-release "$2.core" metadata.json; fi
            mv "$3/.$2.build" "$3/$2.core.tar.gz"; : > "$3/$2.core.tar.gz.pending"
            rm -rf "$x"
            """, null, source, name, env.DaemonDir, edit, truncateTar ? "cut" : "edit");
        return Path.Combine(env.DaemonDir, name + ".core.tar.gz");
    }

    /// <summary>A real crash of the test program copied into a directory named "d\n0x1ff…ff 0x1 0x1 0x0 ",
    /// so its mapping path prints as a second, fake mapping line with a number too big for 64 bits, and with
    /// a process name holding a newline; captured by the real cdm the kernel's way.</summary>
    private static string NewlineCrash(UploaderEnv env)
    {
        string top = Directory.CreateTempSubdirectory("cdmnl-").FullName;
        try
        {
            string dir = Path.Combine(top, "d\n" + FakeMapping);
            Directory.CreateDirectory(dir);
            string exe = Path.Combine(dir, "crasher");
            File.Copy(Crashes.Crasher, exe);
            File.SetUnixFileMode(exe, (UnixFileMode)Convert.ToInt32("755", 8));
            Proc.Sh("ulimit -c unlimited; \"$1\" segv \"$2\"; true", dir, 60_000, exe, "ev\nil");
            string? core = Directory.GetFiles(dir, "core*").FirstOrDefault();
            if (core is null) Assert.Inconclusive("the kernel wrote no core for the newline crash");
            var r = KernelLike.Capture(env.Root, Encoding.UTF8.GetBytes("ev\nil"), core!, "1700000600");
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
            // filed under the core's own name with the hash of the copy's odd path
            string daemonDir = Directory.GetDirectories(env.Root.CorePath, DaemonName.ToSafe("ev\nil") + "~*").Single();
            string archive = Directory.GetFiles(daemonDir, "*.core.tar.gz").Single();
            // the program must stay where the crash's metadata says it is, so gdb loads it (and prints its odd path)
            return archive;
        }
        finally { KeepUntilExit.Add(top); }
    }

    /// <summary>The newline crash's directory must outlive the capture (gdb reads the executable from it).</summary>
    private static readonly List<string> KeepUntilExit = [];

    [OneTimeTearDown]
    public void RemoveNewlineDirectories()
    {
        foreach (var d in KeepUntilExit) try { Directory.Delete(d, true); } catch (IOException) { }
    }

    private static void AssertRunsCleanly(UploaderEnv env, string[] good, Poisoned bad)
    {
        var first = env.Uploader("run");
        Assert.That(first.ExitCode, Is.EqualTo(0), $"first run: {first.Stdout}\n{first.Stderr}");
        foreach (var a in good)
        {
            Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"), a);
            Assert.That(UploaderEnv.Marker(a).LastError, Is.Null);
        }

        foreach (var a in new[] { bad.Garbage, bad.Cut })
        {
            Assert.That(UploaderEnv.State(a), Is.EqualTo("pending"), a);
            var m = UploaderEnv.Marker(a);
            Assert.That(m.LastError, Does.StartWith("report: "), a);
            Assert.That(m.Attempts, Is.EqualTo(1));
            Assert.That(m.NextAttempt, Is.GreaterThan(DateTimeOffset.UtcNow.ToUnixTimeSeconds()), "a backoff, so the next run does not stall on it");
            Assert.That(File.Exists(a + ".report"), Is.False);
        }
        // parsing may be hardened to report these; either way the archive is accounted for, never stuck silently
        foreach (var a in new[] { bad.NullLists, bad.Newline })
        {
            string state = UploaderEnv.State(a);
            TestContext.Out.WriteLine($"{Path.GetFileName(a)}: {state}, last_error {UploaderEnv.Marker(a).LastError ?? "-"}");
            if (state == "submitted") Assert.That(UploaderEnv.Report(a), Does.Contain("Signature: "), a);
            else
            {
                Assert.That(state, Is.EqualTo("pending"), a);
                Assert.That(UploaderEnv.Marker(a).LastError, Does.StartWith("report: ").And.Not.Contain("\n"), a);
            }
        }
        Assert.That(UploaderEnv.Marker(bad.FarFuture).LastError, Is.Null, "not due: untouched");
        Assert.That(File.ReadAllText(env.LogFile), Does.Contain("no report"));

        var rows = env.List();
        Assert.That(rows.Single(r => r.Path == bad.Garbage).LastError, Does.StartWith("report: "));
        var info = env.Uploader("info", bad.Cut);
        Assert.That(info.ExitCode, Is.EqualTo(0), info.Stderr);
        Assert.That(info.Stdout, Does.Contain("last-error: report: "));
        var far = env.Uploader("info", bad.FarFuture);
        Assert.That(far.ExitCode, Is.EqualTo(0), far.Stderr);
        Assert.That(far.Stdout, Does.Contain("next-attempt: 9223372036854775807"));
        Assert.That(env.Uploader("list").ExitCode, Is.EqualTo(0), "the table prints an out-of-range time as its number");

        var second = env.Uploader("run");
        Assert.That(second.ExitCode, Is.EqualTo(0), $"second run: {second.Stdout}\n{second.Stderr}");
        Assert.That(env.Uploader("retry").ExitCode, Is.EqualTo(0));
        var third = env.Uploader("run");
        Assert.That(third.ExitCode, Is.EqualTo(0), $"third run (after retry): {third.Stdout}\n{third.Stderr}");
        Assert.That(UploaderEnv.Marker(bad.Garbage).Attempts, Is.EqualTo(2), "tried again after retry, failed alone again");
        foreach (var a in good) Assert.That(UploaderEnv.State(a), Is.EqualTo("submitted"));
    }
}
