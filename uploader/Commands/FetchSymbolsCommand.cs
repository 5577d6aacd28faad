using System.CommandLine;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Symbols;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader fetch-symbols [ARCHIVE...]`: the debuginfod fetch step on its own, for the archives that
/// still need a report (or the ones named), with the build-ids cdm recorded in their metadata.json. It needs
/// the network and never opens a core or runs gdb, so it runs where `analyze` cannot (the analysis unit has no
/// network): before it. Takes the run lock (the cache has one writer). Exit 0 also when fetches failed (each
/// is logged); 66 for an unknown archive, 75 when another run holds the lock.</summary>
internal static class FetchSymbolsCommand
{
    public const string Name = "fetch-symbols";

    private const string Help = """
        Fetch debug info by build-id from debuginfod_urls into the cache gdb reads

        Asks each server for the build-ids in the archives' metadata.json (executable and mapped modules), at most
        32 per archive; skips what /usr/lib/debug or the cache holds. Does nothing when debuginfod_urls is empty.
        Exit codes: 0 done (failed fetches are logged); 66 no such archive; 75 another run holds the lock.
        Examples:
          cdm-uploader fetch-symbols
          cdm-uploader fetch-symbols crasher.1.1764590400.core.tar.gz
        """;

    public static Command Create(Option<string?> configOption)
    {
        var archives = new Argument<string[]>("archive") { Description = "Archives (default: every archive still waiting for its report)", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command(Name, Help) { archives };
        cmd.SetAction((pr, ct) =>
        {
            var ctx = UploaderContext.Load(pr.GetValue(configOption));
            if (ctx.Config.DebuginfodUrls.Count == 0)
            {
                Console.WriteLine($"uploader {Name}: debuginfod_urls is empty, nothing to fetch");
                return Task.FromResult(ExitCodes.Ok);
            }
            var log = ctx.CreateLog(Name);
            try
            {
                using var runLock = RunLock.Acquire(ctx.Config.StateDir);
                var chosen = (pr.GetValue(archives) ?? []).Select(name => ArchiveLookup.Get(ctx.Config.Corepath, name)).ToList();
                if (chosen.Count == 0) chosen = ArchiveScanner.Scan(ctx.Config.Corepath, new List<string>()).Where(a => a.NeedsReport).ToList();
                using var fetcher = SymbolFetcher.For(ctx.Config, log)!;
                int fetched = 0, failed = 0;
                foreach (var a in chosen)
                {
                    ct.ThrowIfCancellationRequested();
                    try
                    {
                        var s = fetcher.Fetch(ArchiveBuildIds.FromMetadata(ArchiveBuildIds.ReadMetadata(a.Path, ct)), a.Path, ct);
                        fetched += s.Fetched;
                        failed += s.Problems.Count;
                    }
                    catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                    {
                        failed++;
                        log.Warning("{Archive}: debuginfod: {Error}", a.Path, e.Message);
                        Stderr.Say($"{a.FileName}: {e.Message}");
                    }
                }
                string line = $"uploader {Name}: {chosen.Count} archive(s), {fetched} debug file(s) fetched, {failed} failed";
                log.Information("{Summary}", line);
                Console.WriteLine(line);
                return Task.FromResult(ExitCodes.Ok);
            }
            catch (OperationCanceledException e)
            {
                log.Warning("{Verb} interrupted (SIGTERM/SIGINT)", Name);
                throw new UploaderError(ExitCodes.TempFail, "interrupted", e);
            }
            finally { (log as IDisposable)?.Dispose(); Serilog.Log.CloseAndFlush(); }
        });
        return cmd;
    }
}
