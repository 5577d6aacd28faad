using System.CommandLine;
using Serilog;

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
            var ctx = UploaderContext.Load(pr.GetValue(configOption));
            var log = ctx.CreateLog(verb);
            try
            {
                using var runLock = RunLock.Acquire(ctx.Config.StateDir);
                if (phases.HasFlag(PassPhases.Deliver))
                    foreach (var s in ctx.Config.Server.Where(s => s.Url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
                        log.Warning("server {Url} is plain http (allowed by allow_http_hosts): reports travel unencrypted", s.Url);
                var summary = await new RunPass(ctx.Config, log, phases).RunAsync(ct);
                AfterPass.Run(ctx.Config, log, phases);
                string line = summary.ToString(verb);
                log.Information("{Summary}", line);
                Console.WriteLine(line);
                foreach (var p in summary.Problems) Stderr.Say(p);
                return summary.Problems.Count > 0 ? ExitCodes.IoErr : ExitCodes.Ok;
            }
            catch (Exception e) { throw Stopped(log, verb, e); }
            finally { (log as IDisposable)?.Dispose(); Serilog.Log.CloseAndFlush(); }
        });
        return cmd;
    }

    /// <summary>Why a pass did not finish, logged, as the error Program.cs reports. Every archive is handled in
    /// isolation inside the pass, so what arrives here concerns the whole pass: SIGTERM/SIGINT (75, the rest
    /// waits for the next run), a refusal (its own code), an I/O failure outside any one archive, such as an
    /// unusable work_dir parent (73), and otherwise a defect (70).</summary>
    private static UploaderError Stopped(ILogger log, string verb, Exception e)
    {
        switch (e)
        {
            case OperationCanceledException:
                log.Warning("{Verb} interrupted (SIGTERM/SIGINT); the rest waits for the next run", verb);
                return new UploaderError(ExitCodes.TempFail, "interrupted", e);
            case UploaderError refusal:
                log.Error("not running: {Error}", refusal.Message);
                return refusal;
            case IOException:
                log.Error("{Verb} stopped: {Error}", verb, e.Message);
                return new UploaderError(ExitCodes.CantCreate, e.Message, e);
            default:
                log.Error(e, "{Verb} stopped by an internal error", verb);
                return new UploaderError(ExitCodes.Software, $"internal error: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
