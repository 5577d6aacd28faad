using System.CommandLine;
using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Report;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader run | analyze | deliver`: one bounded pass. `analyze` makes reports only (reads the
/// untrusted cores; needs no network), `deliver` delivers existing reports only (never opens a core or runs
/// gdb), `run` is analyze then deliver. All three take the same run lock. Exit 0 when the pass completed
/// (archives and deliveries that failed are recorded in their markers and wait for a later run), 74 when a
/// directory under corepath could not be read, 75 when another run holds the lock or on SIGTERM/SIGINT,
/// 73 when the state directory is unusable, 78 when the configuration or work_dir is refused.</summary>
internal static class RunCommand
{
    public static Command Create(Option<string?> configOption) =>
        Create(configOption, "run", "One pass: make reports for new crashes, then deliver waiting reports (analyze + deliver)", PassPhases.Both);

    public static Command CreateAnalyze(Option<string?> configOption) =>
        Create(configOption, "analyze", "Make reports for new crashes only (gdb on the cores; no network needed)", PassPhases.Analyze);

    public static Command CreateDeliver(Option<string?> configOption) =>
        Create(configOption, "deliver", "Deliver waiting reports only (never opens a core or runs gdb)", PassPhases.Deliver);

    private static Command Create(Option<string?> configOption, string verb, string description, PassPhases phases)
    {
        var cmd = new Command(verb, description);
        cmd.SetAction(async (pr, ct) =>
        {
            if (UploaderContext.Load(pr.GetValue(configOption)) is not { } ctx) return ExitCodes.Config;
            var log = ctx.CreateLog(verb);
            try
            {
                using var runLock = RunLock.TryAcquire(ctx.Config.StateDir, out bool busy, out var lockError);
                if (runLock is null)
                {
                    Console.Error.WriteLine($"uploader: {lockError}");
                    log.Warning("not running: {Error}", lockError);
                    return busy ? ExitCodes.TempFail : ExitCodes.CantCreate;
                }
                if (phases.HasFlag(PassPhases.Deliver))
                    foreach (var s in ctx.Config.Server.Where(s => s.Url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
                        log.Warning("server {Url} is plain http (allowed by allow_http_hosts): reports travel unencrypted", s.Url);
                RunSummary summary;
                try { summary = await new RunPass(ctx.Config, log, phases).RunAsync(ct); }
                catch (OperationCanceledException)
                {
                    log.Warning("{Verb} interrupted (SIGTERM/SIGINT); the rest waits for the next run", verb);
                    Console.Error.WriteLine("uploader: interrupted");
                    return ExitCodes.TempFail;
                }
                catch (WorkDirRefusedException e)
                {
                    log.Error("not running: {Error}", e.Message);
                    Console.Error.WriteLine($"uploader: {e.Message}");
                    return ExitCodes.Config;
                }
                catch (IOException e)
                {
                    log.Error("{Verb} stopped: {Error}", verb, e.Message);
                    Console.Error.WriteLine($"uploader: {e.Message}");
                    return ExitCodes.CantCreate;
                }
                catch (Exception e)
                {
                    // every archive is handled in isolation inside the pass; reaching here is a defect
                    log.Error(e, "{Verb} stopped by an internal error", verb);
                    Console.Error.WriteLine($"uploader: internal error: {e.GetType().Name}: {e.Message}");
                    return ExitCodes.Software;
                }
                AfterPass.Run(ctx.Config, log, phases);
                string line = summary.ToString(verb);
                log.Information("{Summary}", line);
                Console.WriteLine(line);
                foreach (var p in summary.Problems) Console.Error.WriteLine($"uploader: {p}");
                return summary.Problems.Count > 0 ? ExitCodes.IoErr : ExitCodes.Ok;
            }
            finally { (log as IDisposable)?.Dispose(); Serilog.Log.CloseAndFlush(); }
        });
        return cmd;
    }
}
