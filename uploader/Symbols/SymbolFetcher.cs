using System.Diagnostics;
using CoreDump.Uploader.Config;
using Serilog;

namespace CoreDump.Uploader.Symbols;

/// <summary>What one fetch step did for one crash.</summary>
internal sealed record FetchSummary(int Asked, int Present, int Fetched, int NotFound, IReadOnlyList<string> Problems)
{
    public override string ToString() =>
        $"debuginfod: {Asked} build-ids, {Present} already present, {Fetched} fetched, {NotFound} on no server, {Problems.Count} failed";
}

/// <summary>The debuginfod fetch step: runs in the uploader itself (root, with network), never in the analysis
/// sandbox, before gdb. For each valid build-id of a crash (at most <see cref="SymbolRules.MaxPerCrash"/>):
/// skip it when /usr/lib/debug or the cache has it or a server said "none" within a day, else ask the servers
/// in order and store the first file whose build-id matches. Bounded by debuginfod_timeout_seconds for the
/// whole step; a server that cannot be reached is not asked again in this step. Nothing here throws for a
/// server's or the network's sake: failures are reasons in the summary and the analysis goes on without.</summary>
internal sealed class SymbolFetcher(UploaderConfig config, ILogger log) : IDisposable
{
    /// <summary>Where the system's debug packages put their files (gdb's default debug-file-directory).</summary>
    public const string SystemDebugDir = "/usr/lib/debug";

    private readonly DebuginfodClient _client = new(TimeSpan.FromSeconds(Math.Min(10, config.DebuginfodTimeoutSeconds)));
    private readonly List<Uri> _servers = config.DebuginfodUrls.Select(u => new Uri(u)).ToList();

    /// <summary>The fetcher when debuginfod_urls is set, else null (the default: nothing is fetched).</summary>
    public static SymbolFetcher? For(UploaderConfig c, ILogger log) => c.DebuginfodUrls.Count == 0 ? null : new SymbolFetcher(c, log);

    public FetchSummary Fetch(IEnumerable<string?> buildIds, string what, CancellationToken ct)
    {
        var ids = SymbolRules.Select(buildIds);
        var problems = new List<string>();
        int present = 0, fetched = 0, notFound = 0;
        try { FetchAll(ids, what, problems, ref present, ref fetched, ref notFound, ct); }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // the cache or the machine failed, not one server: the analysis still goes on without
            problems.Add(RunPass.Describe(e));
        }
        var summary = new FetchSummary(ids.Count, present, fetched, notFound, problems);
        foreach (var p in problems) log.Warning("{What}: debuginfod: {Problem}", what, p);
        log.Information("{What}: {Summary}", what, summary.ToString());
        return summary;
    }

    private void FetchAll(List<string> ids, string what, List<string> problems, ref int present, ref int fetched, ref int notFound, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var budget = TimeSpan.FromSeconds(config.DebuginfodTimeoutSeconds);
        var down = new HashSet<Uri>();
        using var cache = SymbolCache.Open(config.StateDir);
        foreach (string id in ids)
        {
            ct.ThrowIfCancellationRequested();
            if (File.Exists(Path.Combine(SystemDebugDir, SymbolRules.RelativePath(id))) || cache.TryUse(id)) { present++; continue; }
            if (cache.RecentlyMissing(id, DateTimeOffset.UtcNow)) { notFound++; continue; }
            if (clock.Elapsed >= budget) { problems.Add($"{id}: not asked, debuginfod_timeout_seconds ({config.DebuginfodTimeoutSeconds}) used up"); continue; }
            bool stored = false, allSaidNone = true;
            foreach (var server in _servers.Where(s => !down.Contains(s)))
            {
                FetchAnswer answer = FetchAnswer.Refused;
                string? why = null;
                long room = SymbolRules.DownloadBudget(config.DebuginfodMaxFileBytes, cache.AvailableBytes(), config.KeepFreeBytes, config.DebuginfodCacheBytes);
                var left = budget - clock.Elapsed;
                if (left <= TimeSpan.Zero) { why = "debuginfod_timeout_seconds used up"; }
                else if (room <= 0) { why = $"no room: the cache's filesystem must keep {config.KeepFreeBytes} bytes free (keep_free_bytes)"; }
                else
                {
                    why = cache.Store(id, file =>
                    {
                        answer = _client.Get(server, id, file, room, left, ct, out var w);
                        return answer == FetchAnswer.Stored ? null : w ?? answer.ToString();
                    });
                    if (answer == FetchAnswer.Stored && why is not null) answer = FetchAnswer.Refused; // a file with another build-id
                }
                if (answer == FetchAnswer.Stored) { stored = true; break; }
                if (answer == FetchAnswer.NotFound) continue;
                allSaidNone = false;
                if (answer == FetchAnswer.Unreachable) down.Add(server);
                problems.Add($"{id} from {server.GetLeftPart(UriPartial.Authority)}: {why}");
            }
            if (stored)
            {
                fetched++;
                log.Information("{What}: debug info for build-id {BuildId} fetched", what, id);
                Evict(cache, ids);
            }
            else if (allSaidNone && _servers.Count > 0 && down.Count == 0) { notFound++; cache.MarkMissing(id); }
        }
    }

    /// <summary>Keeps the cache under debuginfod_cache_bytes, least recently used first, never the files of this crash.</summary>
    private void Evict(SymbolCache cache, IReadOnlyList<string> keep)
    {
        foreach (var f in SymbolRules.Evict(cache.List(), config.DebuginfodCacheBytes, keep.ToHashSet(StringComparer.Ordinal)))
            if (cache.Remove(f.BuildId)) log.Information("debuginfod cache: removed {BuildId} ({Bytes} bytes, least recently used)", f.BuildId, f.Bytes);
    }

    public void Dispose() => _client.Dispose();
}
