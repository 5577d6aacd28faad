using System.Globalization;
using System.Text;

namespace CoreDump.Upload;

/// <summary>Everything a report says, gathered before it is written.</summary>
public sealed record ReportFacts
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
}

/// <summary>The report text: corewatcher's fields (executable, time, release, backtrace, maps) plus signal,
/// signature, cdm's metadata and the warnings that matter. Keys are "name: value" lines, long parts are
/// sections opened by "--- name ---".</summary>
public static class ReportText
{
    public const string SignatureKey = "Signature: ";
    public const string ReportIdKey = "report-id: ";

    /// <summary>The gdb sections in report order with their headings.</summary>
    public static readonly (string Key, string Title)[] GdbSections =
    [
        ("bt", "backtrace"), ("insn", "faulting instruction"), ("regs", "registers"), ("all", "threads (thread apply all bt full)"),
        ("shlib", "shared libraries"), ("maps", "maps"),
    ];

    public static string Compose(ReportFacts f)
    {
        var sb = new StringBuilder();
        void Line(string k, string v) => sb.Append(k).Append(": ").Append(v).Append('\n');
        Line("analyzer", "cdm-uploader (gdb)");
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
        foreach (var (key, title) in GdbSections)
            Section(sb, title, f.Gdb.TryGetValue(key, out var text) && text.Length > 0 ? text : "(not available)");
        Section(sb, "release", f.OsRelease.TrimEnd());
        Section(sb, "metadata", f.MetadataJson.TrimEnd());
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, string body) =>
        sb.Append("\n--- ").Append(title).Append(" ---\n").Append(body.TrimEnd()).Append('\n');

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
