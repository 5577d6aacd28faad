namespace CoreDump.Tests.Uploader;

/// <summary>Every configuration the uploader refuses, through the real binary: exit 78 (EX_CONFIG), a
/// message naming the file and the rule, and nothing touched (no archive analysed, nothing delivered).</summary>
[TestFixture]
public class ConfigRefusalTests
{
    /// <summary>{0}: the env's root folder; {1}: corepath; {2}: outbox; {3}: state_dir; {4}: the log folder.</summary>
    [TestCase("work_dir = \"/\"", "work_dir must not be /")]
    [TestCase("work_dir = \"{1}\"", "overlaps corepath")]
    [TestCase("work_dir = \"{1}/crasher\"", "overlaps corepath")]
    [TestCase("work_dir = \"{0}\"", "overlaps corepath")]
    [TestCase("work_dir = \"{2}\"", "overlaps outbox")]
    [TestCase("work_dir = \"{2}/x\"", "overlaps outbox")]
    [TestCase("work_dir = \"{3}\"", "must not be or contain state_dir")]
    [TestCase("work_dir = \"{3}/../state/\"", "must not be or contain state_dir")]
    [TestCase("work_dir = \"{3}/uploader.lock\"", "must not hold the run lock")]
    [TestCase("work_dir = \"{4}\"", "must not be or contain the log folder")]
    [TestCase("work_dir = \"work\"", "work_dir must be an absolute path")]
    [TestCase("outbox_max_bytes = 0", "outbox_max_bytes must be > 0")]
    [TestCase("debuginfod_urls = [\"http://debuginfod.example.org\"]", "debuginfod_urls[0] http://debuginfod.example.org is plain http")]
    [TestCase("debuginfod_urls = [\"https://debuginfod.example.org\"]\ndebuginfod_max_file_bytes = 0", "debuginfod_max_file_bytes must be > 0")]
    [TestCase("debuginfod_urls = [\"https://debuginfod.example.org\"]\ndebuginfod_cache_bytes = 1000", "debuginfod_cache_bytes must be at least debuginfod_max_file_bytes")]
    [TestCase("debuginfod_urls = [\"debuginfod.example.org\"]", "debuginfod_urls[0] must be an absolute http(s) URL")]
    [TestCase("work_dir = \"{3}/debuginfod\"", "must not be or contain the debuginfod cache")]
    [TestCase("outbox_keep_free_bytes = -1", "outbox_keep_free_bytes must be >= 0")]
    [TestCase("allow_http_hosts = [\"http://127.0.0.1\"]", "allow_http_hosts entry 'http://127.0.0.1' must be a bare host")]
    [TestCase("allow_http_hosts = [\"127.0.0.1:8080\"]", "allow_http_hosts entry '127.0.0.1:8080' must be a bare host")]
    [TestCase("allow_http_hosts = [\"\"]", "must be a bare host")]
    [TestCase("[[server]]\nurl = \"http://crashdb.example.org/submit\"", "server[0].url http://crashdb.example.org/submit is plain http")]
    [TestCase("allow_http_hosts = [\"10.0.0.1\"]\n[[server]]\nurl = \"http://crashdb.example.org/submit\"", "allow_http_hosts = [\"crashdb.example.org\"]")]
    [TestCase("allow_http_hosts = [\"crashdb.example.org\"]\n[[server]]\nurl = \"http://crashdb.example.org/submit\"\nauth_header = \"Authorization: Bearer x\"",
        "server[0].auth_header would travel in clear text over http:// to crashdb.example.org")]
    [TestCase("allow_http_hosts = [\"localhost\"]\n[[server]]\nurl = \"http://localhost:1/submit\"\nauth_header = \"Authorization: Bearer x\"",
        "auth_header would travel in clear text")]
    [TestCase("[[server]]\nurl = \"https://crashdb.example.org/a\"\n[[server]]\nurl = \"http://127.0.0.1:1/b\"", "server[1].url http://127.0.0.1:1/b is plain http")]
    [TestCase("[[server]]\nurl = \"https://crashdb.example.org/a\"\narchive = \"sometimes\"",
        "server[0].archive must be \"never\", \"always\" or \"on_request\", not 'sometimes'")]
    [TestCase("[[server]]\nurl = \"https://crashdb.example.org/a\"\narchive = \"on_request\"\nupload_archive = true",
        "server[0].archive = \"on_request\" contradicts upload_archive = true")]
    [TestCase("[[server]]\nurl = \"https://crashdb.example.org/a\"\narchive = true", "line 10: archive must be a string (in double quotes), not a boolean")]
    [TestCase("[[server]]\nurl = \"https://crashdb.example.org/a\"\nupload_archive = \"on_request\"", "line 10: upload_archive must be a boolean (true or false), not a string")]
    public void Refused_with_exit_78_and_the_rule(string toml, string message)
    {
        using var env = new UploaderEnv();
        string a = env.Capture("segv", 1_700_000_000);
        string text = string.Format(toml, env.Root.Dir, env.Root.CorePath, env.Outbox, env.StateDir, Path.GetDirectoryName(env.LogFile));
        // without the test env's own allowance, so the http rules are seen as a real configuration sees them
        File.WriteAllText(env.ConfigFile, File.ReadAllText(env.ConfigFile).Replace("allow_http_hosts = [\"127.0.0.1\"]\n", "") + text + "\n");
        foreach (var verb in new[] { "run", "analyze", "deliver" })
        {
            var r = env.Uploader(verb);
            Assert.That(r.ExitCode, Is.EqualTo(78), $"{verb}: {r.Stdout}\n{r.Stderr}");
            Assert.That(r.Stderr, Does.Contain("bad configuration").And.Contain(env.ConfigFile).And.Contain(message), verb);
        }
        Assert.That(UploaderEnv.State(a), Is.EqualTo("pending"), "nothing analysed");
        Assert.That(UploaderEnv.Marker(a).Attempts, Is.EqualTo(0));
        Assert.That(Directory.Exists(env.Outbox), Is.False, "nothing delivered");
    }

    [Test]
    public void A_work_dir_that_contains_the_log_folder_is_refused()
    {
        using var env = new UploaderEnv();
        string work = Path.Combine(env.Root.Dir, "w");
        File.WriteAllText(env.ConfigFile, $"corepath = \"{env.Root.CorePath}\"\noutbox = \"{env.Outbox}\"\nstate_dir = \"{env.StateDir}\"\n" +
            $"log_file = \"{work}/log/uploader.log\"\nwork_dir = \"{work}\"\n");
        var r = env.Uploader("analyze");
        Assert.That(r.ExitCode, Is.EqualTo(78), r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"work_dir {work} must not be or contain the log folder {work}/log"));
    }

    [TestCase("allow_http_hosts = [\"127.0.0.1\"]\n[[server]]\nurl = \"http://127.0.0.1:1/submit\"\nauth_header = \"Authorization: Bearer x\"")]
    [TestCase("allow_http_hosts = [\"::1\"]\n[[server]]\nurl = \"http://[::1]:1/submit\"")]
    [TestCase("allow_http_hosts = [\"CrashDB.Example.org\"]\n[[server]]\nurl = \"http://crashdb.example.org/submit\"")]
    [TestCase("[[server]]\nurl = \"https://crashdb.example.org/submit\"\nauth_header = \"Authorization: Bearer x\"")]
    [TestCase("outbox_max_bytes = 1\noutbox_keep_free_bytes = 0")]
    [TestCase("work_dir = \"{4}/work\"")]
    public void Accepted(string toml)
    {
        using var env = new UploaderEnv();
        string text = string.Format(toml, env.Root.Dir, env.Root.CorePath, env.Outbox, env.StateDir, Path.GetDirectoryName(env.LogFile));
        File.WriteAllText(env.ConfigFile, File.ReadAllText(env.ConfigFile).Replace("allow_http_hosts = [\"127.0.0.1\"]\n", "") + text + "\n");
        var r = env.Uploader("list");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stderr, Does.Not.Contain("bad configuration"));
    }
}
