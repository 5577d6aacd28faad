using System.Globalization;

namespace CoreDump.Cdm.Policy;

/// <summary>Parses core_file.conf (key=value lines, # comments, optional quotes). Never throws: a bad
/// line or value keeps the default for that key and adds a warning saying why.</summary>
internal static class CoreFileConfigParser
{
    public sealed record Result(CoreFileConfig Config, IReadOnlyList<string> Warnings);

    private delegate CoreFileConfig? Setter(CoreFileConfig c, string value);

    private static readonly Dictionary<string, Setter> Keys = new(StringComparer.Ordinal)
    {
        ["maxcore"] = (c, v) => Int(v, 0, 1000) is int n ? c with { MaxCore = n } : null,
        ["corepath"] = (c, v) => IsSafeAbsolutePath(v) ? c with { CorePath = v.TrimEnd('/') is { Length: > 0 } p ? p : "/" } : null,
        ["logfile"] = (c, v) => IsSafeAbsolutePath(v) && !v.EndsWith('/') ? c with { LogFile = v } : null,
        ["compression"] = (c, v) => CompressionSetting.Parse(v) is { } z ? c with { Compression = z } : null,
        ["maxcoresize"] = (c, v) => SizeOrUnlimited(v) is long b ? c with { MaxCoreSize = b } : null,
        ["keepfree"] = (c, v) => ParseKeepFree(v) is KeepFree k ? c with { KeepFree = k } : null,
        ["maxuse"] = (c, v) => SizeOrUnlimited(v) is long b ? c with { MaxUse = b } : null,
        ["ratelimit_burst"] = (c, v) => IntOrUnlimited(v, 0, 100000) is int n ? c with { RateBurst = n } : null,
        ["ratelimit_interval"] = (c, v) => Int(v, 1, 86400 * 7) is int n ? c with { RateInterval = n } : null,
        // capture caps against starvation
        ["maxcapturetime"] = (c, v) => IntOrUnlimited(v, 0, 86400) is int n ? c with { MaxCaptureTime = n } : null,
        // exclusion (repeatable lines) and drop records
        ["exclude"] = (c, v) => CaptureRule.TryParse(v) is { } r ? c with { Exclude = [.. c.Exclude, r] } : null,
        ["include"] = (c, v) => CaptureRule.TryParse(v) is { } r ? c with { Include = [.. c.Include, r] } : null,
        ["maxdrop"] = (c, v) => Int(v, 0, 1000) is int n ? c with { MaxDrop = n } : null,
    };

    public static IReadOnlyCollection<string> KnownKeys => Keys.Keys;

    /// <summary>The word for "no limit" in the limit keys (maxcoresize, maxuse, ratelimit_burst,
    /// maxcapturetime); <c>0</c> stays accepted for it, as none of them has a useful literal zero.</summary>
    public const string Unlimited = "unlimited";

    /// <summary>Keys that may appear on many lines, each adding a rule.</summary>
    private static readonly HashSet<string> Repeatable = new(StringComparer.Ordinal) { "exclude", "include" };

    public static Result Parse(string? text)
    {
        var warnings = new List<string>();
        var config = CoreFileConfig.Defaults;
        if (text is null) return new(config, warnings);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNo++;
            var line = StripComment(rawLine.TrimEnd('\r')).Trim();
            if (line.Length == 0) continue;
            int eq = line.IndexOf('=');
            if (eq <= 0) { warnings.Add($"line {lineNo}: ignored, not key=value: {Show(line)}"); continue; }
            var key = line[..eq].Trim();
            var value = Unquote(line[(eq + 1)..].Trim());
            if (!Keys.TryGetValue(key, out var set)) { warnings.Add($"line {lineNo}: unknown key {Show(key)} ignored"); continue; }
            if (!Repeatable.Contains(key) && !seen.Add(key)) warnings.Add($"line {lineNo}: duplicate key {key}; the later value counts");
            var next = set(config, value);
            if (next is null) warnings.Add($"line {lineNo}: bad value {Show(value)} for {key}; keeping {Current(config, key)}");
            else config = next;
        }
        return new(config, warnings);
    }

    private static string Current(CoreFileConfig c, string key) => key switch
    {
        "maxcore" => c.MaxCore.ToString(CultureInfo.InvariantCulture),
        "corepath" => c.CorePath,
        "logfile" => c.LogFile,
        "compression" => c.Compression.ToString(),
        "maxcoresize" => c.MaxCoreSize == 0 ? Unlimited : SizeValue.Format(c.MaxCoreSize),
        "keepfree" => c.KeepFree.ToString(),
        "maxuse" => c.MaxUse == 0 ? Unlimited : SizeValue.Format(c.MaxUse),
        "ratelimit_burst" => c.RateBurst == 0 ? Unlimited : c.RateBurst.ToString(CultureInfo.InvariantCulture),
        "ratelimit_interval" => c.RateInterval.ToString(CultureInfo.InvariantCulture),
        "maxcapturetime" => c.MaxCaptureTime == 0 ? Unlimited : c.MaxCaptureTime.ToString(CultureInfo.InvariantCulture),
        "exclude" or "include" => "the other rules (expected exe:<glob>, uid:<n> or name:<glob>)",
        "maxdrop" => c.MaxDrop.ToString(CultureInfo.InvariantCulture),
        _ => "?",
    };

    private static int? Int(string v, int min, int max) =>
        int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max ? n : null;

    /// <summary>A limit: <c>unlimited</c> (held as 0) or a number in range.</summary>
    private static int? IntOrUnlimited(string v, int min, int max) => v == Unlimited ? 0 : Int(v, min, max);

    private static long? SizeOrUnlimited(string v) => v == Unlimited ? 0 : SizeValue.TryParse(v, out long b) ? b : null;

    private static KeepFree? ParseKeepFree(string v)
    {
        if (v.EndsWith('%'))
            return Int(v[..^1].Trim(), 0, 90) is int p ? new KeepFree(0, p) : null;
        return SizeValue.TryParse(v, out long b) ? new KeepFree(b, 0) : null;
    }

    private static bool IsSafeAbsolutePath(string v) =>
        v.Length is > 0 and < 4096 && v[0] == '/' && !v.Any(char.IsControl) &&
        !v.Split('/').Any(part => part is "." or "..");

    private static string StripComment(string line)
    {
        var t = line.TrimStart();
        if (t.StartsWith('#')) return "";
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '"' or '\'') quote = c;
            else if (c == '#' && i > 0 && char.IsWhiteSpace(line[i - 1])) return line[..i];
        }
        return line;
    }

    private static string Unquote(string v) =>
        v.Length >= 2 && (v[0] == '"' && v[^1] == '"' || v[0] == '\'' && v[^1] == '\'') ? v[1..^1] : v;

    private static string Show(string s) => "\"" + (s.Length > 60 ? s[..60] + "…" : s).Replace("\"", "\\\"") + "\"";
}
