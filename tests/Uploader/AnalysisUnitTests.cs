using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Report;

namespace CoreDump.Tests.Uploader;

/// <summary>The pure parts of the analysis side: identity, sandbox command line, parsers of gdb's output and of
/// the core, report escaping, metadata tolerance, privacy filters.</summary>
[TestFixture]
public class AnalysisUnitTests
{
    private const string Passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n" +
                                  "cdm-analysis:x:996:993::/nonexistent:/usr/sbin/nologin\n";

    [Test]
    public void Analysis_identity_is_never_root_or_nobody_and_falls_back_to_a_dedicated_uid()
    {
        Assert.That(AnalysisIdentity.Resolve("cdm-analysis", Passwd, out _), Is.EqualTo(new AnalysisIdentity(996, 993, "cdm-analysis (uid 996)")));
        Assert.That(AnalysisIdentity.Resolve("root", Passwd, out var why), Is.Null);
        Assert.That(why, Does.Contain("never run as root"));
        Assert.That(AnalysisIdentity.Resolve("0", Passwd, out _), Is.Null);
        Assert.That(AnalysisIdentity.Resolve("nobody", Passwd, out why), Is.Null);
        Assert.That(why, Does.Contain("nobody"));
        Assert.That(AnalysisIdentity.Resolve("65534", Passwd, out _), Is.Null);
        var fallback = AnalysisIdentity.Resolve("cdm-analysis", "root:x:0:0::/:/bin/sh\n", out _)!;
        Assert.That((fallback.Uid, fallback.Gid), Is.EqualTo((AnalysisIdentity.FallbackId, AnalysisIdentity.FallbackId)));
        Assert.That(AnalysisIdentity.Resolve("cdm-analysis", "someone:x:65530:65530::/:/bin/sh\n", out why), Is.Null, "the fallback uid is taken");
        Assert.That(why, Does.Contain("65530"));
        Assert.That(AnalysisIdentity.Resolve("4242", Passwd, out _)!.Uid, Is.EqualTo(4242u));
        Assert.That(AnalysisIdentity.RefusalOf("nobody"), Is.Not.Null);
        Assert.That(AnalysisIdentity.RefusalOf("cdm-analysis"), Is.Null);
    }

    [Test]
    public void Sandbox_command_drops_root_network_and_limits_before_the_program()
    {
        var tools = new SandboxCommand.Tools("/usr/bin/unshare", "/usr/bin/timeout", "/usr/bin/prlimit", "/usr/bin/setpriv", "/usr/bin/mount");
        var argv = SandboxCommand.Wrap(tools, new AnalysisIdentity(996, 993, "x"), new SandboxLimits(1L << 30, 60, 32, 1 << 24), 30, "/w/x", "/usr/bin/gdb", ["-batch"]);
        string joined = string.Join(' ', argv);
        Assert.That(argv[0], Is.EqualTo("/usr/bin/unshare"));
        Assert.That(argv, Does.Contain("--net").And.Contain("--pid").And.Contain("--kill-child").And.Contain("--no-new-privs").And.Contain("--clear-groups"));
        Assert.That(argv, Does.Contain("--reuid=996").And.Contain("--regid=993").And.Contain("--as=1073741824").And.Contain("--nproc=32").And.Contain("--fsize=16777216"));
        Assert.That(joined, Does.Contain("timeout -s KILL 30s"));
        Assert.That(argv.IndexOf("/usr/bin/setpriv"), Is.LessThan(argv.IndexOf("/usr/bin/gdb")));
        Assert.That(argv[^2..], Is.EqualTo(new[] { "/usr/bin/gdb", "-batch" }));
        Assert.That(SandboxCommand.SetupFailure("", "unshare: unshare failed: Operation not permitted\n", 1), Does.StartWith("unshare: unshare failed"));
        Assert.That(SandboxCommand.SetupFailure("", "setpriv: failed to execute gdb: Permission denied\n", 127), Is.Not.Null);
        Assert.That(SandboxCommand.SetupFailure("", "gdb: out of memory\n", 3), Is.Null, "the program's own failure is a result");
        Assert.That(SandboxCommand.SetupFailure("#0 f ()", "unshare: x", 1), Is.Null);
        Assert.That(SandboxCommand.Environment().Keys, Does.Not.Contain("LD_PRELOAD").And.Not.Contain("PYTHONPATH"));
    }

    [Test]
    public void Frame_records_need_the_nonce_and_consecutive_levels()
    {
        string n = GdbOutput.NewNonce();
        string text = $"{n} [0, 4096, \"f\\nSignature: x\", \"a.c\", 3, null, false]\n" +
                      "#1 forged\n" +
                      "00000000000000000000000000000000 [1, 1, \"forged\", null, 0, null, false]\n" +
                      $"{n} [1, 8192, null, null, 0, \"/lib/libz.so\", false]\n" +
                      $"{n} [2, 1, \"sig\", null, 0, null, true]\n" +
                      $"{n} [7, 1, \"gap\", null, 0, null, false]\n";
        var f = GdbOutput.FrameRecords(text, n);
        Assert.That(f.Select(x => x.Function), Is.EqualTo(new[] { "f\nSignature: x", "??", GdbFrame.SignalHandlerCalled }));
        Assert.That(f[0].Source, Is.EqualTo("a.c:3"));
        Assert.That(f[1].Library, Is.EqualTo("/lib/libz.so"));
        Assert.That(GdbOutput.FrameRecords($"{n} [0, 1, \"x\"", n), Is.Empty, "a cut record is not a frame");
    }

    [Test]
    public void Overlong_numbers_and_broken_level_sequences_are_skipped_not_thrown()
    {
        Assert.That(GdbOutput.TryHex("0x11111111111111111111"), Is.Null);
        Assert.That(GdbOutput.TryHex("0xffffffffffffffff"), Is.EqualTo(ulong.MaxValue));
        var maps = GdbOutput.Mappings("  0x11111111111111111111 0x22222222222222222222 0x1000 0x0 /forged\n  0x1000 0x2000 0x1000 0x0 /real\n");
        Assert.That(maps.Select(m => m.Objfile), Is.EqualTo(new[] { "/real" }));
        Assert.That(GdbOutput.Frames("#0  0x99999999999999999999 in f () at a.c:1\n#5  g ()\n").Select(x => x.Function), Is.EqualTo(new[] { "f" }));
        Assert.That(GdbOutput.Frames("#99999999999999999999 f ()\n"), Is.Empty);
    }

    [Test]
    public void Report_text_escapes_what_could_pass_for_its_own_structure()
    {
        Assert.That(ReportText.OneLine("a\nSignature: b\r"), Is.EqualTo("a\\x0aSignature: b\\x0d"));
        Assert.That(ReportText.Body("#0 f ()\n--- backtrace ---\nSignature: 00\n\\x\nok: 1"),
            Is.EqualTo("#0 f ()\n\\--- backtrace ---\n\\Signature: 00\n\\\\x\nok: 1"));
    }

    [Test]
    public void Metadata_is_read_tolerantly_and_its_command_line_redacted()
    {
        var md = MetadataView.Parse("{\"warnings\": null, \"mapped_files\": null, \"signal\": \"11\", \"pid\": 1e99, \"options\": {\"E\": \"!usr!bin!x\"}, \"drop_reason\": \"excluded\"}");
        Assert.That(md.Parsed, Is.True);
        Assert.That(md.Warnings, Is.Empty);
        Assert.That(md.Signal, Is.Null);
        Assert.That(md.Pid, Is.Null);
        Assert.That(md.CorePatternExe, Is.EqualTo("/usr/bin/x"));
        Assert.That(md.DropReason, Is.EqualTo("excluded"));
        Assert.That(MetadataView.Parse("[").Problem, Does.Contain("does not parse"));
        Assert.That(MetadataView.Parse("42").Problem, Does.Contain("not a JSON object"));
        Assert.That(MetadataView.Parse(new string('[', 5000)).Parsed, Is.False);
        string red = MetadataView.ForReport("{\"command_line\": \"/usr/sbin/db --db-password pw1\", \"pid\": 3}", keepArguments: false);
        Assert.That(red, Does.Contain("\"/usr/sbin/db\"").And.Not.Contain("pw1").And.Contain("\"pid\": 3"));
        Assert.That(MetadataView.ForReport("{\"command_line\": \"a --p pw1\"}", keepArguments: true), Does.Contain("pw1"));
        Assert.That(MetadataView.ForReport("{\"command_line\": \"a --p pw1\"", keepArguments: false), Does.Not.Contain("pw1"));
    }

    [Test]
    public void Environment_like_strings_are_withheld()
    {
        string s = Privacy.StripEnvironmentStrings("tok = 0x7ffe \"API_TOKEN=abc\\\"def\", name = \"plain\", p = \"a=b\"");
        Assert.That(s, Does.Not.Contain("abc").And.Contain("API_TOKEN=" + Privacy.Withheld).And.Contain("\"plain\""));
    }

    [Test]
    public void The_build_id_read_from_a_real_core_is_the_executables()
    {
        // a private build: the shared test crasher may be rebuilt (other -g paths, other build-id) meanwhile
        using var lab = new AttackLab();
        var crash = (CorePath: lab.Crash(lab.Program, ["segv"]), Exe: lab.Program);
        CoreFacts facts;
        using (var core = File.OpenRead(crash.CorePath)) facts = CoreFacts.Read(core);
        string? fileId;
        using (var exe = File.OpenRead(crash.Exe)) fileId = ElfNotes.FileBuildId(exe, out _);
        Assert.That(fileId, Does.Match("^[0-9a-f]{40}$"));
        string readelf = Proc.Run("readelf", ["-n", crash.Exe]).Stdout;
        Assert.That(readelf, Does.Contain("Build ID: " + fileId));
        Assert.That(facts.ExecutableBuildId, Is.EqualTo(fileId), facts.BuildIdProblem);
        Assert.That(facts.ExecutablePath, Is.EqualTo(crash.Exe));
        Assert.That(facts.Signal, Is.EqualTo(11));
        Assert.That(facts.Files.Any(f => f.Path.EndsWith("libc.so.6", StringComparison.Ordinal) && f.Offset > 0), Is.True);

        // a cut core, and the same bytes scrambled, never throw
        byte[] head = File.ReadAllBytes(crash.CorePath)[..8192];
        var cut = CoreFacts.Read(new MemoryStream(head));
        Assert.That(cut.ExecutableBuildId, Is.Null);
        Assert.That(cut.BuildIdProblem, Is.Not.Null);
        var rng = new Random(1);
        for (int i = 0; i < 300; i++)
        {
            byte[] b = (byte[])head.Clone();
            for (int k = 0; k < 40; k++) b[64 + rng.Next(b.Length - 64)] = (byte)rng.Next(256);
            Assert.DoesNotThrow(() => CoreFacts.Read(new MemoryStream(b)));
        }
    }

    [Test]
    public void An_implausible_program_header_table_is_refused_before_allocating_it()
    {
        byte[] h = new byte[64];
        new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }.CopyTo(h, 0);
        h[4] = 2; h[5] = 1; h[16] = 4;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(0x20), 64);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(0x36), 65535);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(0x38), 65534);
        int reads = 0;
        Assert.That(ElfNotes.ProgramHeaders(h, (_, _) => ++reads, out var problem), Is.Null);
        Assert.That((reads, problem), Is.EqualTo((0, "implausible program header table")));
        Assert.That(CoreFacts.Read(new MemoryStream(h)).BuildIdProblem, Does.Contain("implausible"));
    }
}
