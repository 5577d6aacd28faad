using CoreDump.Store;
using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Config;
using CoreDump.Uploader.Delivery;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Report;
using Serilog;

namespace CoreDump.Uploader;

/// <summary>What a pass does: analysis reads untrusted cores and needs no network; delivery needs the
/// network and never opens a core or runs gdb. `run` does both, analysis first.</summary>
[Flags]
internal enum PassPhases { Analyze = 1, Deliver = 2, Both = Analyze | Deliver }

/// <summary>One bounded pass over every archive on disk, whatever state the disk is in: make reports for the
/// archives that need one (<see cref="ArchiveRef.NeedsReport"/>), then deliver the ready ones in
/// <see cref="QueueOrder"/>. Every archive is handled in isolation: whatever goes wrong with one (any exception,
/// malformed input) is recorded in its marker (last_error and a backoff) and the pass goes on with the next.
/// Only cancellation and an <see cref="UploaderError"/> (a refusal no archive is to blame for) stop the pass.</summary>
internal sealed class RunPass(UploaderConfig config, ILogger log, PassPhases phases = PassPhases.Both)
{
    private readonly RunSummary _summary = new();
    private readonly DateTimeOffset _deadline = DateTimeOffset.UtcNow.AddSeconds(config.RunTimeoutSeconds);

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private bool OutOfTime => DateTimeOffset.UtcNow >= _deadline;
    private int SecondsLeft => Math.Max(1, (int)(_deadline - DateTimeOffset.UtcNow).TotalSeconds);

    public async Task<RunSummary> RunAsync(CancellationToken ct)
    {
        if (Leftovers.RemoveUnder(config.Corepath) is var t and > 0) log.Information("removed {Count} temporaries of killed writers under {Corepath}", t, config.Corepath);
        if (phases.HasFlag(PassPhases.Analyze))
        {
            var work = OpenWorkDir(config);
            if (work.RemoveLeftovers() is var n and > 0) log.Information("removed {Count} leftovers of a killed run from {Dir}", n, work.Path);
            // debuginfod needs the network: only `run` fetches here (`analyze` has none; fetch-symbols does it before)
            using var symbols = phases.HasFlag(PassPhases.Deliver) ? Symbols.SymbolFetcher.For(config, log) : null;
            MakeReports(new ReportMaker(config, work, symbols), ct);
        }
        if (phases.HasFlag(PassPhases.Deliver))
        {
            RemoveOutboxLeftovers();
            using var targets = new Targets(config);
            await DeliverAsync(targets.All, ct);
        }
        _summary.Waiting = Scan().Count(a => a.State is ArchiveState.Pending or ArchiveState.Processed);
        return _summary;
    }

    /// <summary>work_dir as the configuration names it; its real path is checked again once it is open.</summary>
    public static WorkDir OpenWorkDir(UploaderConfig c) =>
        new(c.EffectiveWorkDir, takeOverEmpty: c.WorkDir is null || c.WorkDir == c.DefaultWorkDir,
            real => ConfigRules.WorkDirOverlap(real, c.Corepath, c.Outbox, c.StateDir, c.LogFile, c.LockFile));

    private void RemoveOutboxLeftovers()
    {
        if (config.Server.Count > 0) return;
        using var outbox = SafeDirectory.OpenExistingPath(config.Outbox, out _);
        if (outbox is not null && Leftovers.RemoveFrom(outbox) is var n and > 0) log.Information("removed {Count} temporaries from the outbox", n);
    }

    private List<ArchiveRef> Scan()
    {
        var problems = new List<string>();
        var all = ArchiveScanner.Scan(config.Corepath, problems);
        foreach (var p in problems.Where(p => _summary.Problems.Add(p))) log.Warning("scan: {Problem}", p);
        return all;
    }

    private void MakeReports(ReportMaker maker, CancellationToken ct)
    {
        var byPath = Scan().Where(a => a.NeedsReport).ToDictionary(a => a.Path);
        var todo = byPath.Values.Select(a => new QueueItem(a.Path, a.Name.UnixTime, a.Marker));
        foreach (var item in QueueOrder.DueInOrder(todo, Now))
        {
            if (OutOfTime || ct.IsCancellationRequested) { _summary.TimeLimitReached = true; return; }
            if (byPath.GetValueOrDefault(item.Key) is { } a) MakeOne(maker, a, ct);
        }
    }

    /// <summary>True for what must stop the whole pass rather than fail one archive: its cancellation (SIGTERM),
    /// or a refusal such as a work_dir that is no longer the uploader's own.</summary>
    private static bool Stops(Exception e, CancellationToken ct) => (e is OperationCanceledException && ct.IsCancellationRequested) || e is UploaderError;

    private void MakeOne(ReportMaker maker, ArchiveRef a, CancellationToken ct)
    {
        SafeDirectory? dir = null;
        MarkerStore? store = null;
        try
        {
            if ((store = OpenStore(a, out dir)) is null) return;
            var made = maker.Make(a, Math.Min(config.GdbTimeoutSeconds, SecondsLeft), ct);
            var info = a.Marker with { ReportId = made.ReportId, Signature = made.Signature, Signal = made.Signal, NextAttempt = null, LastError = null, Attempts = 0 };
            if (!store.WriteReport(made.Text, out var error) || !store.Move(StateMachine.Next(a.State, UploadStep.ReportWritten), info, out error))
            {
                log.Warning("{Archive}: report not stored: {Error}", a.Path, error);
                return;
            }
            _summary.Processed++;
            log.Information("{Archive}: report {ReportId} written, signature {Signature}", a.Path, made.ReportId, made.Signature);
        }
        catch (Exception e) when (!Stops(e, ct)) { Failed(a, store, a.Marker, "report", "no report", e); }
        finally { dir?.Dispose(); }
    }

    /// <summary>The archive's directory and the marker store in it; null, with the refusal logged, when the
    /// directory is not one the uploader may use (the archive waits for a later pass).</summary>
    private MarkerStore? OpenStore(ArchiveRef a, out SafeDirectory? dir)
    {
        dir = SafeDirectory.OpenExistingPath(a.DaemonDir, out var refusal);
        if (dir is null) log.Warning("{Archive}: {Refusal}", a.Path, refusal);
        return dir is null ? null : new MarkerStore(dir, a);
    }

    /// <summary>One archive failed at <paramref name="step"/>: counted, the reason kept in its marker with a backoff (when
    /// its directory could be opened), and logged, with the stack only when the failure is not an expected one.</summary>
    private void Failed(ArchiveRef a, MarkerStore? store, MarkerInfo? marker, string step, string outcome, Exception e)
    {
        _summary.Failed++;
        string reason = $"{step}: {Describe(e)}";
        if (store is not null) RecordFailure(store, marker ?? a.Marker, reason, null);
        if (IsExpected(e)) log.Error("{Archive}: {Outcome}: {Error}", a.Path, outcome, reason);
        else log.Error(e, "{Archive}: {Outcome}: {Error}", a.Path, outcome, reason);
    }

    /// <summary>Failures the archive's content or the machine explain; anything else is logged with its stack.</summary>
    private static bool IsExpected(Exception e) =>
        e is IOException or InvalidDataException or UnauthorizedAccessException or FormatException or System.ComponentModel.Win32Exception;

    /// <summary>The reason kept in the marker: one line, bounded, and naming the kind of failure when it is not an ordinary one.</summary>
    public static string Describe(Exception e)
    {
        string text = IsExpected(e) ? e.Message : $"{e.GetType().Name}: {e.Message}";
        text = string.Join(' ', text.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return text.Length <= 500 ? text : text[..500] + "…";
    }

    private async Task DeliverAsync(IReadOnlyList<IDeliveryTarget> targets, CancellationToken ct)
    {
        var ready = Scan().Where(a => a.ReadyToDeliver).ToDictionary(a => a.Path);
        var order = QueueOrder.DueInOrder(ready.Values.Select(a => new QueueItem(a.Path, a.Name.UnixTime, a.Marker)), Now);
        foreach (var item in order)
        {
            if (OutOfTime || ct.IsCancellationRequested) { _summary.TimeLimitReached = true; return; }
            await DeliverOneAsync(targets, ready[item.Key], ct);
        }
    }

    private async Task DeliverOneAsync(IReadOnlyList<IDeliveryTarget> targets, ArchiveRef a, CancellationToken ct)
    {
        SafeDirectory? dir = null;
        MarkerStore? store = null;
        try
        {
            if ((store = OpenStore(a, out dir)) is null) return;
            await DeliverOneAsync(targets, a, dir!, store, ct);
        }
        catch (Exception e) when (!Stops(e, ct)) { Failed(a, store, store?.Marker, "delivery", "not delivered", e); }
        finally { dir?.Dispose(); }
    }

    private async Task DeliverOneAsync(IReadOnlyList<IDeliveryTarget> targets, ArchiveRef a, SafeDirectory dir, MarkerStore store, CancellationToken ct)
    {
        string id = a.Marker.ReportId!; // ReadyToDeliver: the marker holds a valid id
        if (a.AwaitsArchiveUpload) { await UploadArchiveAsync(targets, a, store, id, ct); return; }
        byte[]? bytes = dir.ReadSmall(a.FileName + StateFiles.ReportSuffix, 64 << 20);
        if (bytes is null) { _summary.Failed++; RecordFailure(store, a.Marker, "delivery: the report file cannot be read", null); return; }
        string text = System.Text.Encoding.UTF8.GetString(bytes);
        var verdicts = new List<DeliveryVerdict>();
        var details = new List<string>();
        long? retryAfter = null;
        string? deliveredTo = null;
        DeliveryResult? accepted = null;
        foreach (var target in targets)
        {
            var r = await target.DeliverAsync(a, id, text, ct);
            verdicts.Add(r.Verdict);
            details.Add($"{target.Name}: {r.Detail}");
            if (r.RetryAfterSeconds is long ra) retryAfter = Math.Max(retryAfter ?? 0, ra);
            if (r.Verdict == DeliveryVerdict.Delivered) { deliveredTo = target.Name; accepted = r; break; }
        }
        var verdict = DeliveryRules.Combine(verdicts);
        string detail = string.Join("; ", details);
        switch (verdict)
        {
            case DeliveryVerdict.Delivered:
                var delivered = a.Marker with { DeliveredTo = deliveredTo, DeliveredAt = Now, NextAttempt = null, LastError = null };
                _summary.Submitted++;
                log.Information("{Archive}: report {ReportId} delivered ({Detail})", a.Path, id, detail);
                if (accepted!.Archive is { } ask) { await AfterReportAsync(targets, a, store, id, delivered, ask, ct); break; }
                if (accepted.ArchiveSent) delivered = delivered with { ArchiveUpload = ArchiveUploads.WithReport, ArchiveUploadedAt = Now };
                Move(store, StateMachine.Next(store.State, verdict), delivered);
                break;
            case DeliveryVerdict.Reject:
                Move(store, StateMachine.Next(store.State, verdict), a.Marker with { LastError = detail, LastAttempt = Now, NextAttempt = null });
                _summary.Rejected++;
                log.Warning("{Archive}: report {ReportId} rejected, kept for inspection ({Detail})", a.Path, id, detail);
                break;
            default: // the state stays (processed); the marker records the attempt and its backoff
                RecordFailure(store, a.Marker, detail, retryAfter);
                _summary.Failed++;
                break;
        }
    }

    /// <summary>`archive = "on_request"`: the report is delivered; its server's answer says whether the archive is
    /// wanted. The marker records that before the archive is sent, so a pass killed or failing after this point
    /// uploads only the archive and never sends the report again.</summary>
    private async Task AfterReportAsync(IReadOnlyList<IDeliveryTarget> targets, ArchiveRef a, MarkerStore store, string id,
        MarkerInfo delivered, ArchiveAsk ask, CancellationToken ct)
    {
        var (to, upload) = StateMachine.AfterReport(store.State, ask.Wanted);
        // attempts start again: the archive's own failures get their own backoff from the first step
        var info = delivered with { ArchiveUpload = upload, ArchiveDetail = ask.Reason, ServerCrashId = ask.ServerCrashId, Attempts = 0 };
        if (ask.Understood) log.Information("{Archive}: archive {Upload}: {Reason}", a.Path, upload, ask.Reason);
        else log.Warning("{Archive}: archive {Upload}: {Reason}", a.Path, upload, ask.Reason);
        if (Move(store, to, info) && ask.Wanted) await UploadArchiveAsync(targets, a, store, id, ct);
    }

    /// <summary>Stage two: the archive alone, to the server that took the report and asked for it (its url from the
    /// configuration, matched by the marker's delivered_to). That server gone from the configuration, or set to
    /// archive = "never" since, counts as a refusal: the archive cannot go anywhere else.</summary>
    private async Task UploadArchiveAsync(IReadOnlyList<IDeliveryTarget> targets, ArchiveRef a, MarkerStore store, string id, CancellationToken ct)
    {
        var marker = store.Marker;
        var server = targets.OfType<IArchiveTarget>().FirstOrDefault(t => t.Name == marker.DeliveredTo);
        var r = server is null ? new DeliveryResult(DeliveryVerdict.Reject, "no longer a configured server")
            : !server.TakesArchives ? new DeliveryResult(DeliveryVerdict.Reject, "configured with archive = \"never\" since")
            : await server.UploadArchiveAsync(a, id, ct);
        string detail = $"{marker.DeliveredTo}: archive: {r.Detail}";
        var (to, upload) = StateMachine.AfterArchive(store.State, r.Verdict);
        switch (r.Verdict)
        {
            case DeliveryVerdict.Delivered:
                Move(store, to, marker with { ArchiveUpload = upload, ArchiveUploadedAt = Now, ArchiveDetail = detail, NextAttempt = null, LastError = null });
                _summary.ArchivesUploaded++;
                log.Information("{Archive}: archive of report {ReportId} uploaded on request ({Detail})", a.Path, id, detail);
                break;
            case DeliveryVerdict.Reject:
                Move(store, to, marker with { ArchiveUpload = upload, ArchiveDetail = detail, LastError = detail, LastAttempt = Now, NextAttempt = null });
                _summary.ArchivesRefused++;
                log.Warning("{Archive}: archive of report {ReportId} refused; the report stays delivered ({Detail})", a.Path, id, detail);
                break;
            default:
                RecordFailure(store, marker, detail, r.RetryAfterSeconds);
                _summary.Failed++;
                break;
        }
    }

    /// <summary>Moves the marker; false (logged) when it could not be moved.</summary>
    private bool Move(MarkerStore store, ArchiveState to, MarkerInfo info)
    {
        if (store.Move(to, info, out var error)) return true;
        log.Warning("marker not moved to {State}: {Error}", to, error);
        return false;
    }

    /// <summary>Records a failed attempt in the marker (last_error, a backoff). Never throws: a marker that
    /// cannot be written is logged, and the archive is simply tried again on the next pass.</summary>
    private void RecordFailure(MarkerStore store, MarkerInfo marker, string error, long? retryAfter)
    {
        int attempts = marker.Attempts is >= 0 and < int.MaxValue ? marker.Attempts + 1 : 1;
        long delay = Backoff.Delay(attempts, Random.Shared.NextDouble(), retryAfter);
        try
        {
            var info = marker with { Attempts = attempts, LastAttempt = Now, NextAttempt = Now + delay, LastError = error };
            if (!store.Update(info, out var e)) log.Warning("marker not updated: {Error}", e);
        }
        catch (Exception e) when (e is not OperationCanceledException) { log.Warning("marker not updated: {Error}", e.Message); }
        log.Warning("attempt {Attempts} failed ({Error}); next attempt in {Delay} s", attempts, error, delay);
    }
}
