using CoreDump.Upload;
using CoreDump.Uploader.Config;

namespace CoreDump.Uploader.Processing;

/// <summary>A finished report and the facts that go into the marker.</summary>
public sealed record MadeReport(string Text, string ReportId, string Signature, int? Signal);

/// <summary>pending → report: extract the core privately, find the executable, run gdb, compute the
/// signature and compose the text. The private folder is removed afterwards, whatever happens.</summary>
public sealed class ReportMaker(UploaderConfig config, WorkDir work)
{
    public MadeReport Make(ArchiveRef archive, int gdbTimeoutSeconds, CancellationToken ct)
    {
        string dir = work.CreatePrivate();
        try
        {
            var x = CoreExtractor.Extract(archive, dir, config.KeepFreeBytes, ct);
            var md = x.Metadata;
            string id = ReportId.Derive(archive.Daemon, archive.Name.Slot, archive.Name.UnixTime, archive.Size, md?.Pid);
            var warnings = new List<string>();
            if (md is null) warnings.Add("archive has no readable metadata.json");
            else
            {
                if (md.Truncated) warnings.Add($"cdm: core truncated ({md.TruncatedReason ?? "no reason given"})");
                warnings.AddRange(md.Warnings.Select(w => "cdm: " + w));
            }
            var exe = ExecutableFinder.Find(md, archive.Daemon, config.ExecutableSearchPath);
            if (exe is null) warnings.Add("executable not found: gdb read the core alone");
            var sections = new Dictionary<string, string>();
            string? problem = null;
            string? gdbSignal = null;
            if (x.CoreFile is null) problem = "the archive holds no core member";
            else
            {
                var g = GdbRunner.Run(config.Gdb, exe?.Path, x.CoreFile, gdbTimeoutSeconds, dir);
                if (g.NotStarted) throw new IOException($"cannot run gdb '{config.Gdb}': {Tail(g.Stderr)}");
                sections = GdbOutput.Sections(g.Stdout);
                gdbSignal = GdbOutput.TerminatingSignal(g.Stdout);
                warnings.AddRange(GdbOutput.SignificantWarnings(g.Stderr, sections.GetValueOrDefault("preamble", "")).Select(w => "gdb: " + w));
                if (g.TimedOut) problem = $"gdb did not finish within {gdbTimeoutSeconds} s; output so far is kept";
                else if (g.ExitCode != 0) problem = $"gdb exited with {g.ExitCode}: {Tail(g.Stderr)}";
                else if (!sections.ContainsKey("bt")) problem = $"gdb printed no backtrace: {Tail(g.Stderr)}";
            }
            int? signal = md?.Signal ?? SignalNames.Number(gdbSignal);
            string? signalName = SignalNames.Name(signal) ?? gdbSignal;
            var frames = GdbOutput.Frames(sections.GetValueOrDefault("bt", ""));
            var maps = GdbOutput.Mappings(sections.GetValueOrDefault("maps", ""));
            string exeName = exe?.Path ?? md?.ExecutablePath ?? md?.ProcessName ?? archive.Daemon;
            var signature = CrashSignature.Compute(exeName, signalName, frames, maps);
            var facts = new ReportFacts
            {
                ReportId = id, Archive = archive.Path, Daemon = archive.Daemon, Slot = archive.Name.Slot, CrashTime = archive.Name.UnixTime,
                Executable = exe?.Path ?? md?.ExecutablePath ?? "", ExecutableFoundBy = exe?.How ?? "",
                Signal = signal, SignalName = signalName, Signature = signature, OsRelease = x.OsRelease, MetadataJson = x.MetadataJson,
                Warnings = warnings, Gdb = sections, GdbProblem = problem,
            };
            return new MadeReport(ReportText.Compose(facts), id, signature.Hash, signal);
        }
        finally { work.Remove(dir); }
    }

    private static string Tail(string s)
    {
        var lines = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.Contains(".reg-xstate", StringComparison.Ordinal)).TakeLast(3);
        return string.Join(" / ", lines);
    }
}
