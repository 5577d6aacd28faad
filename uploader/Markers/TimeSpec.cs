using System.Globalization;

namespace CoreDump.Uploader.Markers;

/// <summary>The times an admin types for `list --since/--until` and `vacuum --older-than`, turned into unix
/// seconds relative to a given "now" (so the rules are tested without a clock). Accepted:
/// unix seconds (<c>1700000000</c>; not <c>@N</c>: System.CommandLine reads <c>@</c> as a response file); ISO-8601 (<c>2026-12-01</c>, <c>2026-12-01T10:00</c>,
/// <c>2026-12-01 10:00:00</c>, with <c>Z</c> or an offset; without one the time is UTC, like `list` prints it);
/// relative <c>-N{s,m,h,d,w}</c> (N seconds, minutes, hours, days, weeks ago; <c>N{s,m,h,d,w} ago</c> too);
/// <c>now</c>, <c>today</c>, <c>yesterday</c> (UTC midnight).</summary>
internal static class TimeSpec
{
    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd", "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-ddTHH:mmK", "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-dd HH:mmK", "yyyy-MM-dd HH:mm:ssK",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
    ];

    public const string Forms = "unix seconds, ISO-8601 (2026-12-01, 2026-12-01T10:00:00Z), -N{s,m,h,d,w} (e.g. -2h), now, today, yesterday";

    /// <summary>The instant <paramref name="text"/> names, or null with <paramref name="error"/> saying why.</summary>
    public static long? Parse(string text, long now, out string? error)
    {
        error = null;
        string s = text.Trim();
        switch (s.ToLowerInvariant())
        {
            case "now": return now;
            case "today": return Midnight(now);
            case "yesterday": return Midnight(now) - 86400;
        }
        if (s.Length > 0 && s.All(char.IsAsciiDigit))
        {
            if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long unix) && unix <= 253402300799) return unix;
            error = $"'{text}': unix time out of range";
            return null;
        }
        string rel = s.EndsWith(" ago", StringComparison.OrdinalIgnoreCase) ? "-" + s[..^4].Trim() : s;
        if (rel.StartsWith('-') && Duration(rel[1..], out long seconds, out _)) return now - seconds;
        if (DateTimeOffset.TryParseExact(s, IsoFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return t.ToUnixTimeSeconds();
        error = $"'{text}' is not a time: use {Forms}";
        return null;
    }

    /// <summary>An age or duration: <c>N</c> seconds or <c>N{s,m,h,d,w}</c> (<c>30d</c>, <c>12h</c>).</summary>
    public static bool Duration(string text, out long seconds, out string? error)
    {
        seconds = 0;
        error = null;
        string s = text.Trim();
        if (s.Length == 0) { error = "empty duration"; return false; }
        long unit = char.ToLowerInvariant(s[^1]) switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, 'w' => 7 * 86400, _ => 0 };
        string number = unit == 0 ? s : s[..^1];
        if (unit == 0) unit = 1;
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > long.MaxValue / unit)
        {
            error = $"'{text}' is not a duration: use N followed by s, m, h, d or w (e.g. 30d, 12h)";
            return false;
        }
        seconds = n * unit;
        return true;
    }

    /// <summary>A size: bytes, or with K/M/G/T (powers of 1024, an optional trailing B or iB: 10G, 500MiB).</summary>
    public static long? Size(string text, out string? error)
    {
        error = null;
        string s = text.Trim();
        if (s.EndsWith("iB", StringComparison.OrdinalIgnoreCase)) s = s[..^2];
        else if (s.EndsWith('B') || s.EndsWith('b')) s = s[..^1];
        int shift = s.Length == 0 ? 0 : char.ToUpperInvariant(s[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 };
        string number = shift == 0 ? s : s[..^1];
        if (long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n <= long.MaxValue >> shift)
            return n << shift;
        error = $"'{text}' is not a size: use bytes or a number with K, M, G or T (powers of 1024), e.g. 10G";
        return null;
    }

    private static long Midnight(long now) => now - (((now % 86400) + 86400) % 86400);
}
