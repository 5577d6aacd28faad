using System.Globalization;

namespace CoreDump.Cdm.Policy;

/// <summary>Byte sizes as written in core_file.conf: plain bytes or with a K/M/G/T suffix (powers of 1024).</summary>
internal static class SizeValue
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim();
        if (s.Length == 0) return false;
        long mult = 1;
        char last = char.ToUpperInvariant(s[^1]);
        if (last == 'B' && s.Length > 1 && char.IsLetter(s[^2])) { s = s[..^1]; last = char.ToUpperInvariant(s[^1]); }
        int shift = last switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 };
        if (shift > 0) { mult = 1L << shift; s = s[..^1]; }
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long n)) return false;
        if (n > long.MaxValue / mult) return false;
        bytes = n * mult;
        return true;
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30}G",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20}M",
        >= 1L << 10 when bytes % (1L << 10) == 0 => $"{bytes >> 10}K",
        _ => bytes.ToString(CultureInfo.InvariantCulture),
    };
}
