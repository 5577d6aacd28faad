using System.CommandLine;
using CoreDump.Store;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader retry [ARCHIVE...] [--rejected]`: clears the backoff so the next run tries again now.
/// The failure count stays, so reports that failed still queue behind new ones. --rejected also returns
/// rejected reports to processed.</summary>
internal static class RetryCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var archives = new Argument<string[]>("archive") { Description = "Archives (default: all waiting)", Arity = ArgumentArity.ZeroOrMore };
        var rejected = new Option<bool>("--rejected") { Description = "Also move rejected reports back to processed" };
        var cmd = new Command("retry", "Clear the retry backoff (and optionally un-reject)") { archives, rejected };
        cmd.SetAction(pr =>
        {
            var ctx = UploaderContext.Load(pr.GetValue(configOption));
            using var runLock = RunLock.Acquire(ctx.Config.StateDir);
            var chosen = (pr.GetValue(archives) ?? []).Select(name => ArchiveLookup.Get(ctx.Config.Corepath, name)).ToList();
            if (chosen.Count == 0) chosen = ArchiveScanner.Scan(ctx.Config.Corepath, new List<string>());
            bool unreject = pr.GetValue(rejected);
            int changed = 0;
            foreach (var a in chosen)
            {
                bool waiting = a.State is ArchiveState.Pending or ArchiveState.Processed;
                if (!waiting && !(unreject && a.State == ArchiveState.Rejected)) continue;
                using var dir = SafeDirectory.OpenExistingPath(a.DaemonDir, out _);
                if (dir is null) continue;
                var store = new MarkerStore(dir, a);
                var info = a.Marker with { NextAttempt = null };
                var to = a.State == ArchiveState.Rejected ? StateMachine.Next(a.State, UploadStep.RetryRejected) : a.State;
                if (store.Move(to, info, out var e)) changed++;
                else Stderr.Say($"{a.FileName}: {e}");
            }
            Console.WriteLine($"uploader retry: {changed} report(s) will be tried on the next run");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
