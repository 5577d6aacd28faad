using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Config;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Symbols;

namespace CoreDump.Uploader.Report;

/// <summary>A finished report and the facts that go into the marker.</summary>
internal sealed record MadeReport(string Text, string ReportId, string Signature, int? Signal);

/// <summary>pending → report: extract the core privately, read its facts and find the executable by build-id
/// (both parsed in the analysis sandbox, <see cref="CoreInspector"/>), run gdb in the analysis sandbox, compute the signature from structures gdb's text cannot forge, compose the text. The
/// private folder is removed afterwards, whatever happens. Malformed input ends in an IOException or
/// InvalidDataException with the reason (the pass marks that archive failed and goes on). With a
/// <paramref name="symbols"/> fetcher (debuginfod), debug info for the build-ids the sandbox reported is fetched
/// between the inspection and gdb, outside the sandbox; its failures become report warnings, never a failure.</summary>
internal sealed class ReportMaker(UploaderConfig config, WorkDir work, SymbolFetcher? symbols = null)
{
    private AnalysisSandbox? _sandbox;

    public MadeReport Make(ArchiveRef archive, int gdbTimeoutSeconds, CancellationToken ct)
    {
        string dir = work.CreatePrivate();
        try { return MakeIn(dir, archive, gdbTimeoutSeconds, ct); }
        finally { work.Remove(dir); }
    }

    private MadeReport MakeIn(string dir, ArchiveRef archive, int gdbTimeoutSeconds, CancellationToken ct)
    {
        var detail = GdbRunner.ParseDetail(config.ReportDetail);
        var x = CoreExtractor.Extract(archive, dir, config.KeepFreeBytes, ct);
        var md = x.Metadata;
        string id = ReportId.Derive(archive.Daemon, archive.Name.Slot, archive.Name.UnixTime, archive.Size, md.Pid);
        var warnings = new List<string>();
        if (md.Problem is not null) warnings.Add(md.Problem);
        if (md.Truncated) warnings.Add($"cdm: core truncated ({md.TruncatedReason ?? "no reason given"})");
        warnings.AddRange(md.Warnings.Select(w => "cdm: " + w));
        string exeName = md.ExecutablePath ?? md.ProcessName ?? archive.Daemon;
        var facts = new ReportFacts
        {
            ReportId = id, Archive = archive.Path, Daemon = archive.Daemon, Slot = archive.Name.Slot, CrashTime = archive.Name.UnixTime,
            Signature = CrashSignature.Compute(exeName, SignalNames.Name(md.Signal), [], []), OsRelease = x.OsRelease,
            MetadataJson = MetadataView.ForReport(x.MetadataJson, keepArguments: detail == ReportDetail.Full),
            Detail = config.ReportDetail, Warnings = warnings,
        };

        if (x.CoreFile is null)
        {
            if (md.DropReason is { } reason)
            {
                // a drop record: cdm kept the facts of a crash but no core, so there is nothing for gdb
                var sig = CrashSignature.Compute(exeName, SignalNames.Name(md.Signal), [], [], reason);
                var drop = facts with
                {
                    Executable = md.ExecutablePath ?? "", Signal = md.Signal, SignalName = SignalNames.Name(md.Signal), Signature = sig,
                    DropReason = reason, DropDetail = md.DropDetail, Analyzer = "cdm-uploader (drop record, gdb not run)",
                };
                return new MadeReport(ReportText.Compose(drop), id, sig.Hash, md.Signal);
            }
            var none = facts with { GdbProblem = "the archive holds no core member", Signal = md.Signal, SignalName = SignalNames.Name(md.Signal) };
            return new MadeReport(ReportText.Compose(none), id, none.Signature.Hash, md.Signal);
        }

        var box = _sandbox ??= AnalysisSandbox.Create(config);
        AnalysisSandbox.PrepareFolder(dir);
        box.Grant(x.CoreFile);
        // the core's ELF structures and the candidate executables are parsed by the analysis uid, never here
        CoreInspector.InstallProgram(dir, config.KeepFreeBytes);
        var core = CoreInspector.Core(box, dir, Path.GetFileName(x.CoreFile), gdbTimeoutSeconds).Core!;
        var exe = ExecutableFinder.Find(box, core, md, archive.Daemon, config.ExecutableSearchPath, dir, config.KeepFreeBytes, gdbTimeoutSeconds);
        if (exe.Why is not null) warnings.Add(exe.Why);
        if (exe.Copy is not null) box.Grant(Path.Combine(dir, exe.Copy));
        if (md.ExecutablePath is { } claimed && exe.Original is { } used && claimed != used)
            warnings.Add($"metadata executable_path {claimed} is not the file the core names; not used");

        if (symbols is not null)
        {
            var fetched = symbols.Fetch(core.Modules.Select(m => m.BuildId).Prepend(core.ExecutableBuildId), archive.Path, ct);
            warnings.AddRange(fetched.Problems.Select(p => "debuginfod: " + p));
        }

        var g = GdbRunner.Run(box, config.Gdb, exe.Copy, Path.GetFileName(x.CoreFile), detail, gdbTimeoutSeconds, dir);
        if (g.NotStarted) throw new IOException($"cannot run gdb '{config.Gdb}': {Tail(g.Stderr)}");
        var sections = GdbOutput.Sections(g.Stdout, g.Nonce);
        foreach (var k in sections.Keys.ToList()) sections[k] = Privacy.StripEnvironmentStrings(sections[k]);
        warnings.AddRange(GdbOutput.SignificantWarnings(g.Stderr, sections.GetValueOrDefault(GdbSections.Preamble, "")).Select(w => "gdb: " + w));
        string? problem = null;
        if (g.TimedOut) problem = $"gdb did not finish within {gdbTimeoutSeconds} s and was killed with everything it started; output so far is kept";
        else if (g.OutputCut) problem = $"gdb's output exceeded the limit (analysis_output_bytes = {config.AnalysisOutputBytes}) and was cut";
        else if (g.ExitCode != 0) problem = $"gdb exited with {g.ExitCode}{LimitHint(g.ExitCode)}: {Tail(g.Stderr)}";
        else if (!sections.ContainsKey(GdbSections.Backtrace.Key)) problem = $"gdb printed no backtrace: {Tail(g.Stderr)}";

        // frames from gdb's escaped records; the bt text only if gdb has no Python
        var frames = GdbOutput.FrameRecords(sections.GetValueOrDefault(GdbSections.FrameRecords.Key, ""), g.Nonce);
        if (frames.Count == 0) frames = GdbOutput.Frames(sections.GetValueOrDefault(GdbSections.Backtrace.Key, ""));
        frames = FrameModules.Annotate(frames, core.Files, core.Modules);
        if (frames.Count > 0) sections[FrameModules.SectionKey] = FrameModules.Text(frames);
        var maps = core.Files.Select(f => new GdbMapping(f.Start, f.End, f.Offset, f.Path)).ToList();
        int? signal = core.Signal ?? md.Signal;
        string? signalName = SignalNames.Name(signal);
        string exePath = exe.Original ?? core.ExecutablePath ?? md.ExecutablePath ?? "";
        var signature = CrashSignature.Compute(exe.Original ?? core.ExecutablePath ?? exeName, signalName, frames, maps);
        sections.Remove(GdbSections.FrameRecords.Key);
        sections.Remove(GdbSections.Preamble);
        var report = facts with
        {
            Executable = exe.Original ?? (exePath.Length > 0 ? $"{exePath} (not available to gdb)" : ""), ExecutableFoundBy = exe.Original is null ? "" : $"{exe.How}, build-id {core.ExecutableBuildId}",
            Signal = signal, SignalName = signalName, Signature = signature, Gdb = sections, GdbProblem = problem,
            Analyzer = $"cdm-uploader (gdb as {box.Identity.Description}, no network; core and executables parsed as uid {box.Identity.Uid} in the same sandbox)",
        };
        return new MadeReport(ReportText.Compose(report), id, signature.Hash, signal);
    }

    private static string LimitHint(int code) => code switch
    {
        128 + 9 => " (killed: a limit was reached)",
        128 + 24 => " (analysis_cpu_seconds reached)",
        128 + 25 => " (analysis_output_bytes reached)",
        134 => " (aborted: analysis_memory_bytes may have been reached)",
        _ => "",
    };

    private static string Tail(string s)
    {
        var lines = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.Contains(".reg-xstate", StringComparison.Ordinal)).TakeLast(3);
        return string.Join(" / ", lines);
    }
}
