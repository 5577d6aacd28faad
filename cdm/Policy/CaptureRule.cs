using System.Globalization;

namespace CoreDump.Cdm.Policy;

/// <summary>One <c>exclude=</c> or <c>include=</c> line of core_file.conf: <c>exe:&lt;glob&gt;</c> (the
/// executable's path), <c>uid:&lt;n&gt;</c> or <c>name:&lt;glob&gt;</c> (the process name). In a glob, <c>*</c>
/// matches any run of characters ('/' included) and <c>?</c> one character; everything else is literal.</summary>
internal sealed record CaptureRule(CaptureRule.Field On, string Pattern)
{
    public enum Field { Exe, Uid, Name }

    public override string ToString() => $"{On.ToString().ToLowerInvariant()}:{Pattern}";

    /// <summary>Null when the text is not a rule (the caller warns and keeps capturing).</summary>
    public static CaptureRule? TryParse(string text)
    {
        int colon = text.IndexOf(':');
        if (colon <= 0) return null;
        string kind = text[..colon].Trim(), pattern = text[(colon + 1)..].Trim();
        if (pattern.Length == 0 || pattern.Length > 4096 || pattern.Any(char.IsControl)) return null;
        return kind switch
        {
            "exe" => new CaptureRule(Field.Exe, pattern),
            "name" => new CaptureRule(Field.Name, pattern),
            "uid" when uint.TryParse(pattern, NumberStyles.None, CultureInfo.InvariantCulture, out _) => new CaptureRule(Field.Uid, pattern),
            _ => null,
        };
    }

    /// <param name="exe">executable path (printable rendering), null if unknown</param>
    /// <param name="uid">uid, null if unknown</param>
    /// <param name="name">process name (printable rendering)</param>
    public bool Matches(string? exe, int? uid, string name) => On switch
    {
        Field.Exe => exe is not null && Glob(Pattern, exe),
        Field.Uid => uid is int u && ((uint)u).ToString(CultureInfo.InvariantCulture) == Pattern,
        Field.Name => Glob(Pattern, name),
        _ => false,
    };

    /// <summary>Whole-string glob match with '*' and '?' (iterative, linear in practice, no backtracking blow-up).</summary>
    public static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}

/// <summary>The admin's exclusion list as a pure decision: include wins over exclude.</summary>
internal static class CaptureRules
{
    /// <summary>Returns the matching exclude rule when the crash is excluded (and no include rule matches), else null.</summary>
    public static CaptureRule? Excluding(IReadOnlyList<CaptureRule> exclude, IReadOnlyList<CaptureRule> include, string? exe, int? uid, string name)
    {
        var rule = exclude.FirstOrDefault(r => r.Matches(exe, uid, name));
        if (rule is null || include.Any(r => r.Matches(exe, uid, name))) return null;
        return rule;
    }
}
