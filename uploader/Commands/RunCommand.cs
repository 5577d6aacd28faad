using System.CommandLine;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader run`: one bounded pass. Exit 0 when the pass completed (deliveries that failed wait
/// for a later run), 74 when a directory under corepath could not be read, 75 when another run holds the lock, 73 when the state or work directory is unusable (e.g. a symlink).</summary>
public static class RunCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var cmd = new Command("run", "One pass: make reports for new crashes and deliver waiting reports");
        cmd.SetAction(async (pr, ct) =>
        {
            if (UploaderContext.Load(pr.GetValue(configOption)) is not { } ctx) return ExitCodes.Config;
            var log = ctx.CreateLog("run");
            try
            {
                using var runLock = RunLock.TryAcquire(ctx.Config.StateDir, out bool busy, out var lockError);
                if (runLock is null)
                {
                    Console.Error.WriteLine($"uploader: {lockError}");
                    log.Warning("not running: {Error}", lockError);
                    return busy ? ExitCodes.TempFail : ExitCodes.CantCreate;
                }
                foreach (var s in ctx.Config.Server.Where(s => s.Url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !IsLoopback(s.Url)))
                    log.Warning("server {Url} is plain http: reports travel unencrypted", s.Url);
                RunSummary summary;
                try { summary = await new RunPass(ctx.Config, log).RunAsync(ct); }
                catch (OperationCanceledException)
                {
                    log.Warning("run interrupted (SIGTERM/SIGINT); the rest waits for the next run");
                    Console.Error.WriteLine("uploader: interrupted");
                    return ExitCodes.TempFail;
                }
                catch (IOException e)
                {
                    log.Error("run stopped: {Error}", e.Message);
                    Console.Error.WriteLine($"uploader: {e.Message}");
                    return ExitCodes.CantCreate;
                }
                log.Information("{Summary}", summary.ToString());
                Console.WriteLine(summary.ToString());
                foreach (var p in summary.Problems) Console.Error.WriteLine($"uploader: {p}");
                return summary.Problems.Count > 0 ? ExitCodes.IoErr : ExitCodes.Ok;
            }
            finally { (log as IDisposable)?.Dispose(); Serilog.Log.CloseAndFlush(); }
        });
        return cmd;
    }

    private static bool IsLoopback(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.IsLoopback || u.Host == "127.0.0.1");
}
