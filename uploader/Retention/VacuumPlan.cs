namespace CoreDump.Uploader.Retention;

/// <summary>One archive as retention sees it: its crash time, the bytes it and its companions (report,
/// marker) take, and whether its report still waits for delivery.</summary>
internal sealed record VacuumItem(string Path, long Time, long Bytes, string State)
{
    /// <summary>pending or processed: the report is not delivered yet but will be (rejected ones never will).</summary>
    public bool Undelivered => State is "pending" or "processed";
}

/// <summary>The rules of one `vacuum`.</summary>
internal sealed record VacuumRules
{
    /// <summary>Remove archives whose crash is older than this many seconds.</summary>
    public long? OlderThanSeconds { get; init; }
    /// <summary>Then remove the oldest until archives and reports total at most this many bytes.</summary>
    public long? MaxBytes { get; init; }
    /// <summary>Never remove an archive whose report waits for delivery (default; --force turns it off).</summary>
    public bool KeepUndelivered { get; init; } = true;
}

internal sealed record VacuumRemoval(string Path, long Bytes, string State, string Reason);

/// <summary>What `vacuum` does (or would do with --dry-run), also its --json output.</summary>
internal sealed record VacuumReport
{
    public bool DryRun { get; init; }
    public long TotalBytesBefore { get; init; }
    public long TotalBytesAfter { get; init; }
    public List<VacuumRemoval> Removed { get; init; } = [];
    /// <summary>Archives a rule selected but that were kept because their report is not delivered yet.</summary>
    public List<string> KeptUndelivered { get; init; } = [];
    /// <summary>Bytes still above --max-size after the plan (undelivered archives kept).</summary>
    public long OverMaxBytes { get; init; }
    /// <summary>Removals that failed at execution, with the reason.</summary>
    public List<string> Errors { get; init; } = [];
}

internal static class VacuumPlan
{
    /// <summary>Which archives to remove, oldest crash first: every one older than the age rule, then the
    /// oldest until the total fits the size rule. Undelivered archives are never chosen while
    /// <see cref="VacuumRules.KeepUndelivered"/> holds; they still count in the total.</summary>
    public static VacuumReport Plan(IEnumerable<VacuumItem> items, VacuumRules rules, long now)
    {
        var ordered = items.OrderBy(i => i.Time).ThenBy(i => i.Path, StringComparer.Ordinal).ToList();
        long before = ordered.Sum(i => i.Bytes), total = before;
        var removed = new List<VacuumRemoval>();
        var kept = new List<string>();
        bool Take(VacuumItem i, string reason)
        {
            if (rules.KeepUndelivered && i.Undelivered) { if (!kept.Contains(i.Path)) kept.Add(i.Path); return false; }
            removed.Add(new VacuumRemoval(i.Path, i.Bytes, i.State, reason));
            total -= i.Bytes;
            return true;
        }
        var left = new List<VacuumItem>();
        foreach (var i in ordered)
        {
            bool old = rules.OlderThanSeconds is long age && i.Time < now - age;
            if (!(old && Take(i, $"older than {AgeText(rules.OlderThanSeconds)}"))) left.Add(i);
        }
        if (rules.MaxBytes is long max)
            foreach (var i in left)
            {
                if (total <= max) break;
                Take(i, $"total {total} bytes above --max-size {max}");
            }
        return new VacuumReport
        {
            TotalBytesBefore = before, TotalBytesAfter = total, Removed = removed, KeptUndelivered = kept,
            OverMaxBytes = rules.MaxBytes is long m && total > m ? total - m : 0,
        };

        static string AgeText(long? s) => s switch
        {
            long v when v > 0 && v % 604800 == 0 => $"{v / 604800}w",
            long v when v > 0 && v % 86400 == 0 => $"{v / 86400}d",
            long v when v > 0 && v % 3600 == 0 => $"{v / 3600}h",
            long v when v > 0 && v % 60 == 0 => $"{v / 60}m",
            long v => $"{v}s",
            _ => "",
        };
    }
}
