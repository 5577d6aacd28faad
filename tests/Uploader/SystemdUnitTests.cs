namespace CoreDump.Tests.Uploader;

/// <summary>The systemd units split analysis (untrusted cores, no network) from delivery (network, no
/// capabilities). Checked by parsing their keys, by `systemd-analyze verify` where it is installed, and by
/// running the analysis sandbox's tool chain (unshare, prlimit, setpriv) inside exactly the analysis unit's
/// capability bounding set.</summary>
[TestFixture]
public class SystemdUnitTests
{
    private static string Unit(string name) => Path.Combine(Paths.RepoRoot, "etc", "systemd", name);

    /// <summary>Key → every value it was given (systemd lets most keys repeat); comments and blank lines skipped.</summary>
    private static Dictionary<string, List<string>> Keys(string name)
    {
        var keys = new Dictionary<string, List<string>>();
        string section = "";
        foreach (var raw in File.ReadAllLines(Unit(name)))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line.StartsWith('[')) { section = line.Trim('[', ']'); continue; }
            int eq = line.IndexOf('=');
            Assert.That(eq, Is.GreaterThan(0), $"{name}: not a key=value line: {raw}");
            string key = $"{section}.{line[..eq].Trim()}";
            if (!keys.TryGetValue(key, out var list)) keys[key] = list = [];
            list.Add(line[(eq + 1)..].Trim());
        }
        return keys;
    }

    private static string One(Dictionary<string, List<string>> keys, string key) =>
        keys.TryGetValue(key, out var v) ? string.Join(' ', v) : throw new AssertionException($"{key} missing");

    private static readonly string[] AnalysisCaps =
        ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_SYS_ADMIN", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"];

    [Test]
    public void Analysis_has_no_network_and_only_the_sandbox_capabilities()
    {
        var k = Keys("cdm-uploader-analyze.service");
        Assert.That(One(k, "Service.ExecStart"), Is.EqualTo("/usr/sbin/cdm-uploader analyze"));
        Assert.That(One(k, "Service.PrivateNetwork"), Is.EqualTo("yes"));
        Assert.That(One(k, "Service.IPAddressDeny"), Is.EqualTo("any"));
        Assert.That(One(k, "Service.RestrictAddressFamilies"), Is.EqualTo("AF_UNIX"));
        Assert.That(One(k, "Service.NoNewPrivileges"), Is.EqualTo("yes"));
        Assert.That(One(k, "Service.ProtectSystem"), Is.EqualTo("strict"));
        Assert.That(One(k, "Service.RestrictNamespaces").Split(' '), Is.EquivalentTo(new[] { "net", "pid", "mnt" }));
        Assert.That(One(k, "Service.CapabilityBoundingSet").Split(' '), Is.EquivalentTo(AnalysisCaps));
        Assert.That(k.Keys, Has.None.StartWith("Install."), "started through cdm-uploader.service, never on its own");
    }

    [Test]
    public void Debuginfod_fetch_runs_before_analysis_with_network_and_no_capabilities()
    {
        var k = Keys("cdm-uploader-symbols.service");
        Assert.That(One(k, "Service.ExecStart"), Is.EqualTo("/usr/sbin/cdm-uploader fetch-symbols"));
        Assert.That(One(k, "Service.CapabilityBoundingSet"), Is.Empty);
        Assert.That(One(k, "Service.RestrictNamespaces"), Is.EqualTo("yes"));
        Assert.That(k.ContainsKey("Service.PrivateNetwork"), Is.False);
        Assert.That(One(k, "Unit.Before").Split(' '), Does.Contain("cdm-uploader-analyze.service"));
        var analysis = Keys("cdm-uploader-analyze.service");
        Assert.That(One(analysis, "Unit.Wants").Split(' '), Does.Contain("cdm-uploader-symbols.service"));
        Assert.That(One(analysis, "Unit.After").Split(' '), Does.Contain("cdm-uploader-symbols.service"));
    }

    [Test]
    public void Delivery_pulls_in_analysis_first_and_has_no_capabilities()
    {
        var k = Keys("cdm-uploader.service");
        Assert.That(One(k, "Service.ExecStart"), Is.EqualTo("/usr/sbin/cdm-uploader deliver"));
        Assert.That(One(k, "Service.CapabilityBoundingSet"), Is.Empty);
        Assert.That(One(k, "Unit.Wants").Split(' '), Does.Contain("cdm-uploader-analyze.service"));
        Assert.That(One(k, "Unit.After").Split(' '), Does.Contain("cdm-uploader-analyze.service").And.Contain("network-online.target"));
        Assert.That(k.ContainsKey("Service.PrivateNetwork"), Is.False);
        Assert.That(One(k, "Service.RestrictNamespaces"), Is.EqualTo("yes"));

        var timer = Keys("cdm-uploader.timer");
        Assert.That(timer.TryGetValue("Timer.Unit", out var u) ? u.Single() : "cdm-uploader.service", Is.EqualTo("cdm-uploader.service"),
            "the timer starts delivery, which starts analysis first");
    }

    /// <summary>cdm's trigger starts a pass at once; the analysis unit consumes it before scanning, so a crash
    /// published during a pass re-arms PathExists= (checked again when the triggered unit stops); the timer
    /// keeps its random delay for retries.</summary>
    [Test]
    public void The_path_unit_watches_cdms_trigger_and_starts_analysis_then_delivery_at_once()
    {
        string trigger = "/var/core/" + CoreDump.Cdm.Publish.UploaderTrigger.FileName;
        var path = Keys("cdm-uploader.path");
        Assert.That(One(path, "Path.PathExists"), Is.EqualTo(trigger), "the file cdm touches under the default corepath");
        Assert.That(One(path, "Path.Unit"), Is.EqualTo("cdm-uploader.service"), "delivery, which pulls in analysis first");
        Assert.That(One(path, "Install.WantedBy"), Is.EqualTo("paths.target"));
        Assert.That(path.Keys, Has.None.Contains("Delay"), "no random delay on a path-triggered pass");

        var analysis = Keys("cdm-uploader-analyze.service");
        Assert.That(One(analysis, "Service.ExecStartPre"), Is.EqualTo($"-/bin/rm -f {trigger}"),
            "consumed before the scan (a failure to remove it does not stop the analysis)");

        var timer = Keys("cdm-uploader.timer");
        Assert.That(One(timer, "Timer.RandomizedDelaySec"), Is.Not.Empty, "the timer keeps the fleet-wide spread for retries");
    }

    [Test]
    public void Systemd_analyze_verify_accepts_the_units()
    {
        if (!File.Exists("/usr/bin/systemd-analyze") || !Directory.Exists("/lib/systemd/system")) Assert.Ignore("systemd-analyze is not installed here");
        string root = Directory.CreateTempSubdirectory("cdmunits-").FullName;
        try
        {
            // a private root: the host's own unit library (for sysinit.target and friends), our units, our binary
            Proc.MustSh("""
                set -e
                mkdir -p "$1/usr/sbin" "$1/lib/systemd" "$1/bin"
                cp -r /lib/systemd/system "$1/lib/systemd/"
                cp "$2" "$1/usr/sbin/cdm-uploader"
                cp "$(command -v rm)" "$1/bin/rm"
                cp "$3"/cdm-uploader* "$1/lib/systemd/system/"
                """, null, root, Paths.Uploader, Path.Combine(Paths.RepoRoot, "etc", "systemd"));
            string[] units = ["cdm-uploader-analyze.service", "cdm-uploader-symbols.service", "cdm-uploader.service", "cdm-uploader.timer", "cdm-uploader.path"];
            var r = Proc.Run("/usr/bin/systemd-analyze", ["verify", "--man=no", $"--root={root}", .. units.Select(u => Path.Combine(root, "lib/systemd/system", u))]);
            Assert.That(r.ExitCode, Is.EqualTo(0), r.Stdout + r.Stderr);
            Assert.That(r.Stdout + r.Stderr, Is.Empty, "no warning either");

            // the check can fail: a misspelt key is reported
            File.AppendAllText(Path.Combine(root, "lib/systemd/system/cdm-uploader-analyze.service"), "PrivateNetwrok=yes\n");
            var bad = Proc.Run("/usr/bin/systemd-analyze", ["verify", "--man=no", $"--root={root}", Path.Combine(root, "lib/systemd/system/cdm-uploader-analyze.service")]);
            Assert.That(bad.Stderr, Does.Contain("Unknown key 'PrivateNetwrok'"));
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>The analysis sandbox (unshare --net --pid --fork --kill-child --mount-proc, prlimit, setpriv to an
    /// unprivileged uid with no capabilities) started by a root process whose bounding set is exactly the
    /// analysis unit's, with no_new_privs set as NoNewPrivileges=yes does. One capability fewer and it fails.</summary>
    [Test]
    public void The_analysis_units_capabilities_are_enough_for_the_sandbox_and_none_is_spare_for_it()
    {
        if (CoreDump.Native.Posix.Geteuid() != 0) Assert.Ignore("needs root, as the analysis unit runs");
        string Bounding(IEnumerable<string> caps) => "-all," + string.Join(',', caps.Select(c => "+" + c["CAP_".Length..].ToLowerInvariant()));
        const string Inner = "grep -E '^(Uid|CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status; ip -o link 2>/dev/null | wc -l; ls /proc | grep -c '^[0-9]'";
        ProcResult Sandbox(IEnumerable<string> caps) => Proc.Run("setpriv", [$"--bounding-set={Bounding(caps)}", "--no-new-privs", "--",
            "unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--",
            "prlimit", "--as=2000000000", "--cpu=10", "--nproc=64", "--fsize=1000000", "--core=0", "--",
            "setpriv", "--reuid=65519", "--regid=65519", "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--",
            "sh", "-c", Inner]);

        var caps = One(Keys("cdm-uploader-analyze.service"), "Service.CapabilityBoundingSet").Split(' ');
        var r = Sandbox(caps);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Match(@"Uid:\s+65519\s+65519\s+65519\s+65519"));
        Assert.That(r.Stdout, Does.Contain("CapEff:\t0000000000000000").And.Contain("CapPrm:\t0000000000000000").And.Contain("CapBnd:\t0000000000000000"));
        Assert.That(r.Stdout, Does.Contain("NoNewPrivs:\t1"));

        foreach (var needed in new[] { "CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID" })
            Assert.That(Sandbox(caps.Where(c => c != needed)).ExitCode, Is.Not.EqualTo(0), $"without {needed} the sandbox cannot start");
        Assert.That(Sandbox(caps.Where(c => c != "CAP_SETPCAP")).Stdout, Does.Not.Contain("CapBnd:\t0000000000000000"),
            "without CAP_SETPCAP setpriv cannot empty gdb's bounding set");
    }
}
