using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Config;
using CoreDump.Uploader.Symbols;

namespace CoreDump.Tests.Uploader;

/// <summary>The debuginfod step's decisions (no I/O), and the cache as the analysis uid sees it in the real sandbox.</summary>
[TestFixture]
public class DebuginfodUnitTests
{
    private const string Id = "0123456789abcdef0123456789abcdef01234567";

    [Test]
    public void Only_lowercase_hex_build_ids_become_paths_and_urls()
    {
        Assert.That(SymbolRules.Select([Id, "../../etc/passwd", "ABCDEF01", "0011223", "00112233", null, Id, "0123/../x", "00112233\n", new string('a', 130)]),
            Is.EqualTo(new[] { Id, "00112233" }));
        Assert.That(SymbolRules.Select(Enumerable.Range(0, 100).Select(i => $"{i:x8}")), Has.Count.EqualTo(SymbolRules.MaxPerCrash));
        Assert.That(SymbolRules.RelativePath(Id), Is.EqualTo(".build-id/01/23456789abcdef0123456789abcdef01234567.debug"));
        Assert.Throws<ArgumentException>(() => SymbolRules.RelativePath("../x"));
        Assert.That(SymbolRules.DebugInfoUrl(new Uri("https://d.example.org/"), Id).ToString(), Is.EqualTo($"https://d.example.org/buildid/{Id}/debuginfo"));
        Assert.That(SymbolRules.DebugInfoUrl(new Uri("https://d.example.org/sub"), Id).ToString(), Is.EqualTo($"https://d.example.org/sub/buildid/{Id}/debuginfo"));
        Assert.Throws<ArgumentException>(() => SymbolRules.DebugInfoUrl(new Uri("https://d.example.org/"), "%2e%2e"));
    }

    [Test]
    public void Redirects_go_only_to_https_or_the_same_origin()
    {
        var https = new Uri("https://d.example.org/buildid/x/debuginfo");
        var http = new Uri("http://127.0.0.1:8002/buildid/x/debuginfo");
        Assert.That(SymbolRules.RedirectRefusal(https, new Uri("https://mirror.example.net/f")), Is.Null);
        Assert.That(SymbolRules.RedirectRefusal(https, new Uri("http://d.example.org/f")), Does.Contain("only https or the same origin"));
        Assert.That(SymbolRules.RedirectRefusal(http, new Uri("http://127.0.0.1:8002/other")), Is.Null);
        Assert.That(SymbolRules.RedirectRefusal(http, new Uri("http://127.0.0.1:8003/other")), Is.Not.Null);
        Assert.That(SymbolRules.RedirectRefusal(http, new Uri("file:///etc/shadow")), Is.Not.Null);
        Assert.That(SymbolRules.RedirectRefusal(http, null), Is.Not.Null);
    }

    [Test]
    public void The_cache_evicts_least_recently_used_but_never_the_current_crash()
    {
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var files = new[]
        {
            new CachedFile("aaaaaaaa", 400, t0), new CachedFile("bbbbbbbb", 400, t0.AddHours(1)),
            new CachedFile("cccccccc", 400, t0.AddHours(2)), new CachedFile("dddddddd", 400, t0.AddHours(3)),
        };
        Assert.That(SymbolRules.Evict(files, 1000, new HashSet<string>()).Select(f => f.BuildId), Is.EqualTo(new[] { "aaaaaaaa", "bbbbbbbb" }));
        Assert.That(SymbolRules.Evict(files, 1000, new HashSet<string> { "aaaaaaaa" }).Select(f => f.BuildId), Is.EqualTo(new[] { "bbbbbbbb", "cccccccc" }));
        Assert.That(SymbolRules.Evict(files, 1600, new HashSet<string>()), Is.Empty);
        Assert.That(SymbolRules.MissingStillHolds(t0, t0.AddHours(23)), Is.True);
        Assert.That(SymbolRules.MissingStillHolds(t0, t0.AddHours(25)), Is.False);
        Assert.That(SymbolRules.MissingStillHolds(t0.AddDays(30), t0), Is.False, "a stamp from the future is not believed");
        Assert.That(SymbolRules.DownloadBudget(256, 10_000, 1000, 1024), Is.EqualTo(256));
        Assert.That(SymbolRules.DownloadBudget(256, 1100, 1000, 1024), Is.EqualTo(100));
        Assert.That(SymbolRules.DownloadBudget(256, 500, 1000, 1024), Is.EqualTo(0));
    }

    [TestCase("https://debuginfod.example.org", null)]
    [TestCase("https://debuginfod.example.org/sub/", null)]
    [TestCase("http://127.0.0.1:8002", null)]
    [TestCase("http://debuginfod.example.org", "is plain http")]
    [TestCase("ftp://debuginfod.example.org", "absolute http(s) URL")]
    [TestCase("debuginfod.example.org", "absolute http(s) URL")]
    [TestCase("https://user:pw@debuginfod.example.org", "no user info")]
    [TestCase("https://debuginfod.example.org/?x=1", "no user info, query")]
    public void Debuginfod_urls_follow_the_server_rules(string url, string? refusal)
    {
        string? r = ConfigRules.DebuginfodUrlRefusal(0, url, ["127.0.0.1"]);
        if (refusal is null) Assert.That(r, Is.Null);
        else Assert.That(r, Does.Contain(refusal).And.Contain("debuginfod_urls[0]"));
    }

    [Test]
    public void Gdb_reads_the_cache_only_when_one_is_mounted_and_never_fetches_itself()
    {
        var with = GdbRunner.SafetySettings(ReportDetail.Frames, symbols: true);
        Assert.That(with, Does.Contain("set debug-file-directory /usr/lib/debug:/tmp/symbols").And.Contain("set debuginfod enabled off"));
        Assert.That(GdbRunner.SafetySettings(ReportDetail.Frames).Any(s => s.Contains("debug-file-directory")), Is.False);
        var tools = new SandboxCommand.Tools("/usr/bin/unshare", "/usr/bin/timeout", "/usr/bin/prlimit", "/usr/bin/setpriv", "/usr/bin/mount");
        var argv = SandboxCommand.Wrap(tools, new AnalysisIdentity(996, 993, "x"), new SandboxLimits(1L << 30, 60, 32, 1 << 24), 30, "/w/x", "/usr/bin/gdb", ["-batch"], "/var/lib/cdm/debuginfod");
        Assert.That(argv, Does.Contain("--net").And.Contain("/var/lib/cdm/debuginfod"));
        Assert.That(string.Join(' ', argv), Does.Contain("--bind -o ro -- \"$3\" \"$2/symbols\""));
        Assert.That(argv[^2..], Is.EqualTo(new[] { "/usr/bin/gdb", "-batch" }));
    }

    [Test]
    public void In_the_sandbox_the_cache_is_readable_and_read_only()
    {
        using var root = new TempRoot(maxcore: 1);
        string state = Path.Combine(root.Dir, "state");
        Directory.CreateDirectory(state);
        var config = new UploaderConfig { StateDir = state, DebuginfodUrls = ["https://debuginfod.example.org"] };
        string exe = "/bin/true";
        string? id;
        using (var f = File.OpenRead(exe)) id = ElfNotes.FileBuildId(f, out _);
        if (id is null) { Assert.Inconclusive("/bin/true has no build-id"); return; }
        using (var cache = SymbolCache.Open(state))
            Assert.That(cache.Store(id, f => { using var src = File.OpenRead(exe); src.CopyTo(f); return null; }), Is.Null);
        string work = Path.Combine(root.Dir, "work");
        Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string dir = Path.Combine(work, "p");
        Directory.CreateDirectory(dir);
        AnalysisSandbox.PrepareFolder(dir);
        var box = AnalysisSandbox.Create(config);
        string? symbols = box.SymbolsFolder();
        Assert.That(symbols, Is.EqualTo(SymbolCache.PathFor(state)));
        string rel = SymbolRules.RelativePath(id);
        var r = box.RunBatch("/bin/sh", ["-c", $"id -u; cmp /tmp/symbols/{rel} /bin/true && echo SAME; touch /tmp/symbols/x && echo WROTE; rm -f /tmp/symbols/{rel} && echo REMOVED; true"], dir, 30, symbols: symbols);
        Assert.That(r.Stdout, Does.StartWith(box.Identity.Uid + "\n").And.Contain("SAME"), r.Stderr);
        Assert.That(r.Stdout, Does.Not.Contain("WROTE").And.Not.Contain("REMOVED"));
        Assert.That(r.Stderr, Does.Contain("Read-only file system"), "the mount itself is read-only, not only the modes");
        Assert.That(File.Exists(Path.Combine(SymbolCache.PathFor(state), rel)), Is.True);
    }
}
