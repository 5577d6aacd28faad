using System.Text.RegularExpressions;
using CoreDump.Uploader.Analysis;

namespace CoreDump.Tests.Uploader;

/// <summary>The core's ELF structures and the candidate executables are parsed by `inspect-core` inside the
/// analysis sandbox, never by the root uploader: the verb itself, its output contract, and the proof (strace of a
/// real pass) that root never reads the core or a candidate copy while the analysis uid does.</summary>
[TestFixture]
public class AnalysisInspectionTests
{
    [Test]
    public void The_hidden_verb_prints_one_json_document_for_real_and_hostile_input()
    {
        using var lab = new AttackLab();
        string core = lab.Crash(lab.Program, ["segv"]);
        string garbage = Path.Combine(lab.Dir, "garbage");
        File.WriteAllBytes(garbage, [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, .. new byte[200]]);
        string fifo = Path.Combine(lab.Dir, "fifo");
        Proc.MustSh("mkfifo -m 666 \"$1\"", null, fifo);

        var r = Proc.Run(Paths.Uploader, ["inspect-core", "--core", core, lab.Program, garbage, fifo, "/nonexistent"], timeoutMs: 30_000);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        var x = CoreInspection.Parse(r.Stdout, true, [lab.Program, garbage, fifo, "/nonexistent"], out var problem);
        Assert.That(x, Is.Not.Null, problem);
        string readelf = Proc.Run("readelf", ["-n", lab.Program]).Stdout;
        Assert.That(readelf, Does.Contain("Build ID: " + x!.Core!.ExecutableBuildId));
        Assert.That(x.Core.ExecutablePath, Is.EqualTo(lab.Program));
        Assert.That(x.Core.Signal, Is.EqualTo(11));
        Assert.That(x.Candidates.Select(c => c.BuildId ?? c.Problem), Is.EqualTo(new[]
        {
            x.Core.ExecutableBuildId, "the file has no GNU build-id note", "not a regular file", "cannot open: No such file or directory (errno 2)",
        }));

        // a core that is no core: still exit 0, the JSON says why
        var bad = Proc.Run(Paths.Uploader, ["inspect-core", "--core", garbage], timeoutMs: 30_000);
        Assert.That(bad.ExitCode, Is.EqualTo(0), bad.Stderr);
        Assert.That(CoreInspection.Parse(bad.Stdout, true, [], out _)!.Core!.BuildIdProblem, Does.Contain("not an ELF64 little-endian core"));

        Assert.That(Proc.Run(Paths.Uploader, ["--help"]).Stdout, Does.Not.Contain("inspect-core"), "hidden");
    }

    [Test]
    public void Output_that_does_not_answer_the_question_is_refused()
    {
        Assert.That(CoreInspection.Parse("", true, [], out var p), Is.Null);
        Assert.That(p, Does.Contain("not the expected JSON"));
        Assert.That(CoreInspection.Parse("null", false, [], out p), Is.Null);
        Assert.That(CoreInspection.Parse("{\"uid\":1}", true, [], out p), Is.Null);
        Assert.That(p, Does.Contain("no core facts"));
        Assert.That(CoreInspection.Parse("{\"uid\":1,\"candidates\":[{\"file\":\"b\"}]}", false, ["a"], out p), Is.Null);
        Assert.That(p, Does.Contain("candidate"));
        Assert.That(CoreInspection.Parse(new string('[', 100), false, [], out _), Is.Null);
        Assert.That(CoreInspection.Parse("{\"uid\":7,\"candidates\":[{\"file\":\"a\",\"build_id\":\"00ff\"}]}", false, ["a"], out _)!.Uid, Is.EqualTo(7));
        Assert.That(CoreInspection.IsBuildId("3acaae1f6e391b412568ca175d0e9a67f8285b69"), Is.True);
        Assert.That(new[] { "00ff", "3ACAAE1F", "3acaae1f6e391b412568ca175d0e9a67f8285b6", "../../etc", "" }.Select(CoreInspection.IsBuildId), Has.None.True);
    }

    [Test]
    public void The_root_uploader_never_reads_the_core_or_a_candidate_only_the_analysis_uid_does()
    {
        if (Proc.Sh("command -v strace").ExitCode != 0) Assert.Ignore("strace is not installed");
        using var env = new UploaderEnv();
        string archive = env.Capture("segv", 1_700_000_000);
        string trace = Path.Combine(env.Root.Dir, "strace.log");
        // every descriptor decoded to its path as the tracee sees it (-yy); reads of any kind
        var r = Proc.Run("strace", ["-f", "-qq", "-yy", "-s", "0", "-o", trace, "-e", "trace=read,pread64,readv,preadv,preadv2,sendfile,copy_file_range,splice",
            Paths.Uploader, "--config", env.ConfigFile, "run"], timeoutMs: 300_000);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        string report = UploaderEnv.Report(archive);
        Assert.That(report, Does.Contain("executable-found-by: core NT_FILE mapping, build-id "));
        Assert.That(report, Does.Match(@"analyzer: cdm-uploader \(gdb as .*core and executables parsed as uid \d+ in the same sandbox\)"));

        var reads = File.ReadLines(trace).Select(l => Regex.Match(l, @"^(\d+) \w+\(\d+<([^>]*)>")).Where(m => m.Success)
            .Select(m => (Pid: m.Groups[1].Value, Path: m.Groups[2].Value)).ToList();
        string work = Path.Combine(env.StateDir, "work");
        bool Private(string p, string name) => p.StartsWith(work + "/", StringComparison.Ordinal) && (Path.GetFileName(p) == name || Path.GetFileName(p).StartsWith(name + ".", StringComparison.Ordinal));
        var rootReads = reads.Where(x => Private(x.Path, "core") || Private(x.Path, "candidate") || Private(x.Path, "exe")).ToList();
        Assert.That(rootReads, Is.Empty, "root (which sees the private folder at its real path) read the core or an executable copy");
        // controls, without which the check above proves nothing: the same trace sees root read the private
        // folder at its real path (gdb's output read back), and the analysis side (the folder is /tmp in its mount
        // namespace) read the core (inspect-core and gdb) and the candidate copy. A trace that lacks them (strace
        // lost events) cannot decide either way.
        bool rootSeen = reads.Any(x => Private(x.Path, "gdb"));
        int coreReaders = reads.Where(x => x.Path == "/tmp/core").Select(x => x.Pid).Distinct().Count();
        bool candidateSeen = reads.Any(x => Regex.IsMatch(x.Path, @"^/tmp/candidate\.\d+$"));
        if (!rootSeen || coreReaders < 2 || !candidateSeen)
        {
            // what strace itself said, and how the trace begins: a trace with no reads at all has been seen in CI
            var lines = File.ReadLines(trace).ToList();
            Assert.Inconclusive($"the trace lacks its controls: root reading gdb.out {rootSeen}, processes reading /tmp/core {coreReaders}, " +
                $"candidate read {candidateSeen} ({reads.Count} reads traced; {lines.Count} trace lines, first: '{lines.FirstOrDefault()}'; " +
                $"strace stderr: '{r.Stderr.Trim()[..Math.Min(300, r.Stderr.Trim().Length)]}')");
        }
    }
}
