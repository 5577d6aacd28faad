using System.Globalization;
using System.Text;

namespace CoreDump.Uploader.Report;

/// <summary>Everything a report says, gathered before it is written.</summary>
internal sealed record ReportFacts
{
    public required string ReportId { get; init; }
    public required string Archive { get; init; }
    public required string Daemon { get; init; }
    public required int Slot { get; init; }
    public required long CrashTime { get; init; }
    public string Executable { get; init; } = "";
    public string ExecutableFoundBy { get; init; } = "";
    public int? Signal { get; init; }
    public string? SignalName { get; init; }
    public required CrashSignature.Result Signature { get; init; }
    public string OsRelease { get; init; } = "";
    public string MetadataJson { get; init; } = "";
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public IReadOnlyDictionary<string, string> Gdb { get; init; } = new Dictionary<string, string>();
    public string? GdbProblem { get; init; }
    /// <summary>Who analysed the core, e.g. "cdm-uploader (gdb as uid 65530, no network)".</summary>
    public string Analyzer { get; init; } = "cdm-uploader (gdb)";
    /// <summary>report_detail the report was made with.</summary>
    public string Detail { get; init; } = "frames";
    /// <summary>A drop record (a crash cdm recorded without its core): reason and cdm's sentence.</summary>
    public string? DropReason { get; init; }
    public string? DropDetail { get; init; }
}

/// <summary>The report text: corewatcher's fields (executable, time, release, backtrace, maps) plus signal,
/// signature, cdm's metadata and the warnings that matter. Keys are "name: value" lines, long parts are
/// sections opened by "--- name ---".</summary>
internal static class ReportText
{
    public const string SignatureKey = "Signature: ";

    public const string DropKey = "crash without core";

    public static string Compose(ReportFacts f)
    {
        var sb = new StringBuilder();
        void Line(string k, string v) => sb.Append(k).Append(": ").Append(OneLine(v)).Append('\n');
        Line("analyzer", f.Analyzer);
        Line("report-detail", f.Detail);
        if (f.DropReason is not null) Line(DropKey, $"{f.DropReason}: {f.DropDetail ?? "(no detail)"}");
        Line("report-id", f.ReportId);
        Line("archive", f.Archive);
        Line("daemon", f.Daemon);
        Line("slot", f.Slot.ToString(CultureInfo.InvariantCulture));
        Line("executable", f.Executable.Length > 0 ? f.Executable : "(unknown)");
        if (f.ExecutableFoundBy.Length > 0) Line("executable-found-by", f.ExecutableFoundBy);
        Line("time", $"{f.CrashTime} ({DateTimeOffset.FromUnixTimeSeconds(f.CrashTime):yyyy-MM-ddTHH:mm:ssZ})");
        Line("signal", f.Signal is int s ? $"{s} ({f.SignalName})" : f.SignalName ?? "unknown");
        Line("release", ReleaseName(f.OsRelease));
        sb.Append(SignatureKey).Append(f.Signature.Hash).Append('\n');
        Line("signature-frames", string.Join(" | ", f.Signature.Frames));
        Section(sb, "warnings", f.Warnings.Count == 0 ? "(none)" : string.Join('\n', f.Warnings));
        if (f.GdbProblem is not null) Section(sb, "gdb problem", f.GdbProblem);
        foreach (var gdb in GdbSections.ReportOrder)
        {
            Section(sb, gdb.Title!, f.Gdb.TryGetValue(gdb.Key, out var text) && text.Length > 0 ? text : "(not available)");
            // the uploader's own placing of each frame in its module follows gdb's backtrace
            if (gdb == GdbSections.Backtrace)
                Section(sb, FrameModules.Title, f.Gdb.TryGetValue(FrameModules.SectionKey, out var placed) && placed.Length > 0 ? placed : "(not available)");
        }
        Section(sb, "release", f.OsRelease.TrimEnd());
        Section(sb, "metadata", f.MetadataJson.TrimEnd());
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, string body) =>
        sb.Append("\n--- ").Append(title).Append(" ---\n").Append(Body(body.TrimEnd())).Append('\n');

    /// <summary>A header value on one line: control characters (a newline in a file or symbol name) become \xNN,
    /// so no value can start a line of its own.</summary>
    public static string OneLine(string s) => Escape(s, keepNewlines: false);

    /// <summary>A section body: control characters other than newline and tab escaped, and a line that would
    /// read as a section heading ("--- ") or a header key ("Signature: ") gets a leading backslash, so text from
    /// the crashed process (a file name holding newlines) cannot pass for the report's own structure.</summary>
    public static string Body(string s)
    {
        var lines = Escape(s, keepNewlines: true).Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (LooksLikeStructure(lines[i])) lines[i] = "\\" + lines[i];
        return string.Join('\n', lines);
    }

    /// <summary>Header keys a reader of the report (or a crash database) might look for at the start of a line.</summary>
    private static readonly string[] HeaderKeys =
        ["analyzer:", "report-detail:", "report-id:", "archive:", "daemon:", "slot:", "executable:", "executable-found-by:", "time:",
         "signal:", "release:", SignatureKey, "signature-frames:", DropKey + ":", "@@cdm-section"];

    private static bool LooksLikeStructure(string line) =>
        line.StartsWith("---", StringComparison.Ordinal) || line.StartsWith('\\') ||
        HeaderKeys.Any(k => line.StartsWith(k, StringComparison.OrdinalIgnoreCase));

    private static string Escape(string s, bool keepNewlines)
    {
        StringBuilder? sb = null;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            bool bad = (c < 0x20 && !(c == '\t' || (keepNewlines && c == '\n'))) || c == 0x7f || c is '\u2028' or '\u2029' or '\u0085';
            if (bad) (sb ??= new StringBuilder(s, 0, i, s.Length + 16)).Append($"\\x{(int)c:x2}");
            else sb?.Append(c);
        }
        return sb?.ToString() ?? s;
    }

    /// <summary>PRETTY_NAME from os-release, else NAME VERSION_ID, else "unknown".</summary>
    public static string ReleaseName(string osRelease)
    {
        var kv = osRelease.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.Last()[1].Trim().Trim('"', '\''));
        if (kv.TryGetValue("PRETTY_NAME", out var pretty) && pretty.Length > 0) return pretty;
        if (kv.TryGetValue("NAME", out var name)) return kv.TryGetValue("VERSION_ID", out var v) ? $"{name} {v}" : name;
        return "unknown";
    }

    /// <summary>Reads the signature line back from a report.</summary>
    public static string? SignatureOf(string report) =>
        report.Split('\n').FirstOrDefault(l => l.StartsWith(SignatureKey, StringComparison.Ordinal))?[SignatureKey.Length..].Trim();
}
