using CoreDump.Tests.Cdm;

namespace CoreDump.Tests.Uploader;

/// <summary>debuginfod, with real components: a C program built with -g whose debug info is split off
/// (objcopy --only-keep-debug) and which is then stripped (its build-id note kept), crashed for real and
/// captured by the real cdm; a real HTTP server on 127.0.0.1 in debuginfod's layout; the real uploader and
/// gdb in the analysis sandbox. The fetch runs in the uploader, outside the sandbox; gdb reads the cache.</summary>
[TestFixture]
public class DebuginfodTests
{
    /// <summary>A stripped build of a small crashing program, its separate debug file and its build-id.</summary>
    private sealed class StrippedProgram
    {
        public const string Name = "symcrash";
        public string Dir { get; } = Directory.CreateTempSubdirectory("cdmdbg-").FullName;
        public string Exe => Path.Combine(Dir, Name);
        public string DebugFile => Path.Combine(Dir, Name + ".debug");
        public string BuildId { get; private set; } = "";

        public StrippedProgram(string variant = "one")
        {
            File.WriteAllText(Path.Combine(Dir, "s.c"),
                "const char variant[] = VARIANT;\n" +
                "__attribute__((noinline)) static void scribble_on_null(volatile int *p) {\n" +
                "    *p = 7;\n" +
                "}\n" +
                "int main(int argc, char **argv) { (void)argv; scribble_on_null(argc > 99 ? &argc : (int *)0); return variant[0]; }\n");
            Proc.MustSh("cc -g -O0 -Wl,--build-id -DVARIANT='\"'\"$1\"'\"' -o symcrash s.c && objcopy --only-keep-debug symcrash symcrash.debug && strip symcrash",
                Dir, variant);
            BuildId = ModuleBuildIdTests.ReadelfBuildId(Exe)!;
            Assert.That(ModuleBuildIdTests.ReadelfBuildId(DebugFile), Is.EqualTo(BuildId), "the debug file carries the program's build-id");
            Assert.That(Proc.Run("readelf", ["-S", Exe]).Stdout, Does.Not.Contain(".debug_info").And.Not.Contain(".symtab"), "stripped");
        }

        /// <summary>Crashes the program and captures the core with the real cdm; returns the archive's path.</summary>
        public string Crash(UploaderEnv env, long time)
        {
            foreach (var old in Directory.GetFiles(Dir, "core*")) File.Delete(old);
            Proc.Sh("ulimit -c unlimited; ./symcrash", Dir);
            string core = Directory.GetFiles(Dir, "core*").FirstOrDefault() ?? "";
            if (core.Length == 0) Assert.Inconclusive("the kernel wrote no core");
            var r = KernelLike.Capture(env.Root, Name, time, core);
            Assert.That(r.ExitCode, Is.EqualTo(0), env.Root.Log);
            string daemon = Directory.GetDirectories(env.Root.CorePath).Select(Path.GetFileName).Single(n => n!.StartsWith(Name, StringComparison.Ordinal))!;
            return Path.Combine(env.Root.DaemonDir(daemon), env.Root.Archives(daemon).Single(a => a.Contains($".{time}.", StringComparison.Ordinal)));
        }
    }

    private static string Debuginfod(string url, string more = "") => $"debuginfod_urls = [\"{url}\"]\n{more}";

    private static string CacheFile(UploaderEnv env, string id) => Path.Combine(env.StateDir, "debuginfod", ".build-id", id[..2], id[2..] + ".debug");

    private static string UploaderLog(UploaderEnv env) => File.Exists(env.LogFile) ? File.ReadAllText(env.LogFile) : "";

    [Test]
    public void A_stripped_crash_gets_its_function_and_line_from_debuginfod()
    {
        var program = new StrippedProgram();
        using var server = new DebuginfodServer();
        server.Serve(program.BuildId, File.ReadAllBytes(program.DebugFile));
        using var env = new UploaderEnv();
        string without = program.Crash(env, 1_700_000_000);
        env.Run();
        string plain = UploaderEnv.Report(without);
        Assert.That(GdbReportTests.Section(plain, "backtrace"), Does.Not.Contain("scribble_on_null"), "stripped, no debuginfod: no function name\n" + plain);
        Assert.That(server.Requests, Is.Empty, "debuginfod is off by default");

        env.WriteConfig(Debuginfod(server.Url));
        string with = program.Crash(env, 1_700_000_100);
        env.Run();
        string report = UploaderEnv.Report(with);
        string bt = GdbReportTests.Section(report, "backtrace");
        Assert.That(bt, Does.Match(@"#0 .*scribble_on_null .*at .*s\.c:3"), "function and file:line from the fetched debug file\n" + report);
        Assert.That(GdbReportTests.Section(report, "frames by module"), Does.Contain("scribble_on_null"));
        Assert.That(report, Does.Contain("signature-frames: scribble_on_null"), "the signature uses the symbol now");
        Assert.That(server.Requests, Does.Contain($"/buildid/{program.BuildId}/debuginfo"));
        Assert.That(server.Requests, Has.All.Match(@"^/buildid/[0-9a-f]{8,128}/debuginfo$"));

        // root's cache: 0755 folders, a 0644 file, so the analysis uid reads but cannot change it
        string cached = CacheFile(env, program.BuildId);
        Assert.That(File.ReadAllBytes(cached), Is.EqualTo(File.ReadAllBytes(program.DebugFile)));
        Assert.That(File.GetUnixFileMode(cached), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead));
        for (string? d = Path.GetDirectoryName(cached); d != env.StateDir; d = Path.GetDirectoryName(d))
            Assert.That((int)File.GetUnixFileMode(d!), Is.EqualTo(0x1ed), $"{d} is 0755");
        // the libraries' build-ids got a 404 and a stamp (or are in /usr/lib/debug): the next fetch asks nobody again
        int before = server.Requests.Count;
        var again = env.Uploader("fetch-symbols", with);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.Stderr);
        Assert.That(server.Requests.Count, Is.EqualTo(before), "cached files and recent 404s are not asked for again");
    }

    [Test]
    public void A_file_with_another_build_id_is_refused_and_not_cached()
    {
        var program = new StrippedProgram("one");
        var other = new StrippedProgram("two");
        Assert.That(other.BuildId, Is.Not.EqualTo(program.BuildId));
        using var server = new DebuginfodServer();
        server.Serve(program.BuildId, File.ReadAllBytes(other.DebugFile)); // a server planting another build's file
        using var env = new UploaderEnv(Debuginfod(server.Url));
        string archive = program.Crash(env, 1_700_000_000);
        var r = env.Uploader("fetch-symbols", archive);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Contain("0 debug file(s) fetched"));
        Assert.That(File.Exists(CacheFile(env, program.BuildId)), Is.False, "nothing stored under the requested id");
        Assert.That(File.Exists(CacheFile(env, other.BuildId)), Is.False, "nor under the file's own id");
        Assert.That(UploaderLog(env), Does.Contain($"has build-id {other.BuildId}, not {program.BuildId}: refused"));
        Assert.That(Directory.GetFiles(Path.Combine(env.StateDir, "debuginfod"), ".tmp.*", SearchOption.AllDirectories), Is.Empty, "no temporary left");

        env.Run();
        string report = UploaderEnv.Report(archive);
        Assert.That(GdbReportTests.Section(report, "backtrace"), Does.Not.Contain("scribble_on_null"), "gdb never saw the planted file\n" + report);
        Assert.That(GdbReportTests.Section(report, "warnings"), Does.Contain("debuginfod: ").And.Contain("refused"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void An_oversized_file_is_cut_off_and_not_cached(bool chunked)
    {
        var program = new StrippedProgram();
        using var server = new DebuginfodServer();
        var big = File.ReadAllBytes(program.DebugFile).Concat(new byte[300_000]).ToArray(); // a valid head, too long
        server.ById[program.BuildId] = new DebuginfodServer.Answer(big, Chunked: chunked);
        using var env = new UploaderEnv(Debuginfod(server.Url, "debuginfod_max_file_bytes = 200000\ndebuginfod_cache_bytes = 200000"));
        string archive = program.Crash(env, 1_700_000_000);
        var r = env.Uploader("fetch-symbols", archive);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(File.Exists(CacheFile(env, program.BuildId)), Is.False);
        Assert.That(UploaderLog(env), Does.Contain(chunked ? "exceeds the limit of 200000 bytes: cut off, not kept" : $"is {big.Length} bytes, over the limit of 200000"));
        Assert.That(Directory.GetFiles(Path.Combine(env.StateDir, "debuginfod"), ".tmp.*", SearchOption.AllDirectories), Is.Empty, "no temporary left");
    }

    [Test]
    public void An_unreachable_server_costs_the_report_nothing_but_a_warning()
    {
        var program = new StrippedProgram();
        int closed = LoopbackHttpServer.FreePort();
        using var env = new UploaderEnv(Debuginfod($"http://127.0.0.1:{closed}", "debuginfod_timeout_seconds = 20"));
        string archive = program.Crash(env, 1_700_000_000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        env.Run();
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
        Assert.That(UploaderEnv.State(archive), Is.Not.EqualTo("pending"), "the report was made");
        string report = UploaderEnv.Report(archive);
        Assert.That(GdbReportTests.Section(report, "backtrace"), Does.Contain("#0"), report);
        Assert.That(GdbReportTests.Section(report, "warnings"), Does.Contain($"127.0.0.1:{closed}: unreachable"), report);
        Assert.That(UploaderLog(env), Does.Contain("unreachable"));
        // one failed connection, not one per build-id: the server is not asked again in this step
        Assert.That(System.Text.RegularExpressions.Regex.Matches(report, "unreachable").Count, Is.EqualTo(1), report);
    }

    [Test]
    public void Hostile_build_ids_in_metadata_never_become_a_path_or_url()
    {
        var program = new StrippedProgram();
        using var server = new DebuginfodServer();
        using var env = new UploaderEnv(Debuginfod(server.Url));
        string original = program.Crash(env, 1_700_000_000);
        string dir = Path.GetDirectoryName(original)!, name = $"{Path.GetFileName(dir)}.7.1700000700";
        string planted = Path.Combine(env.Root.Dir, "planted");
        Proc.MustSh("""
            set -e
            x=$(mktemp -d); cd "$x"; tar -xzf "$1"
            printf '{"signal": 11, "executable_build_id": "../../../../%s/x", "modules": [{"build_id": "ABCDEF0123"}, {"build_id": "0123/../../../x"}, {"build_id": 12345678}, {"build_id": "%s"}, {"build_id": "0011223"}]}' "$4" "$5" > metadata.json
            tar --owner=0 --group=0 -czf "$3/$2.core.tar.gz" os-release ./*.core metadata.json
            : > "$3/$2.core.tar.gz.pending"; rm -rf "$x"
            """, null, original, name, dir, planted.TrimStart('/'), "00112233");
        var r = env.Uploader("fetch-symbols", Path.Combine(dir, name + ".core.tar.gz"));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr + r.Stdout);
        Assert.That(server.Requests, Is.EqualTo(new[] { "/buildid/00112233/debuginfo" }), "only the one valid build-id is asked for");
        Assert.That(File.Exists(planted) || Directory.Exists(planted), Is.False);
        var names = Directory.GetFileSystemEntries(Path.Combine(env.StateDir, "debuginfod"), "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Path.Combine(env.StateDir, "debuginfod"), p)).ToList();
        Assert.That(names, Is.EquivalentTo(new[] { ".build-id", ".build-id/00", ".build-id/00/112233.missing" }));
    }
}
