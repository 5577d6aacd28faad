using System.Globalization;

namespace CoreDump.Cdm.Policy;

/// <summary>The kept total of archive bytes under corepath (<c>&lt;corepath&gt;/.usage</c>), so a capture
/// under <c>maxuse</c> costs O(1) instead of a scan of every archive. Each capture adds what it published;
/// a rescan replaces the total when it is missing, unreadable, older than <see cref="RescanAfter"/>
/// seconds, or when it alone would refuse a capture (archives removed by others make it too high).</summary>
internal readonly record struct KeptUsage(long Total, long ScannedAt)
{
    public const string FileName = ".usage";
    public const string LockName = ".usage.lock";
    /// <summary>A total this old is rescanned: it bounds the drift from archives cdm did not account for.</summary>
    public const long RescanAfter = 600;

    public string Serialize() => string.Create(CultureInfo.InvariantCulture, $"v1 {Total} {ScannedAt}\n");

    public static KeptUsage? Parse(string? text)
    {
        var parts = text?.Trim().Split(' ');
        if (parts is not ["v1", var total, var at]) return null;
        if (!long.TryParse(total, NumberStyles.None, CultureInfo.InvariantCulture, out long t)) return null;
        if (!long.TryParse(at, NumberStyles.None, CultureInfo.InvariantCulture, out long s)) return null;
        return new KeptUsage(t, s);
    }

    /// <summary>Usable now? A scan time in the future (clock stepped back) counts as stale too.</summary>
    public bool IsFresh(long now) => ScannedAt <= now && now - ScannedAt < RescanAfter;

    /// <summary>The total after a capture published <paramref name="added"/> bytes and removed
    /// <paramref name="removed"/> (never below zero).</summary>
    public KeptUsage Add(long added, long removed) => this with { Total = Math.Max(0, Total + added - removed) };
}
