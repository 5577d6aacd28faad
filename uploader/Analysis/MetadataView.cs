using System.Text;
using System.Text.Json;

namespace CoreDump.Uploader.Analysis;

/// <summary>A tolerant reading of an archive's metadata.json: every field may be missing, null or of the wrong
/// type (the file carries values the crashed process controlled); what does not fit is simply absent.</summary>
internal sealed record MetadataView
{
    public bool Parsed { get; init; }
    public string? Problem { get; init; }
    public string? DropReason { get; init; }
    public string? DropDetail { get; init; }
    public string? ExecutablePath { get; init; }
    public string? CommandLine { get; init; }
    public string? ProcessName { get; init; }
    public string? RawName { get; init; }
    public string? CorePatternExe { get; init; }
    public int? Signal { get; init; }
    public int? Pid { get; init; }
    public bool Truncated { get; init; }
    public string? TruncatedReason { get; init; }
    public bool ForeignNamespace { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];

    private const int MaxDepth = 16;

    public static MetadataView Parse(string json)
    {
        if (json.Length == 0) return new MetadataView { Problem = "archive has no metadata.json" };
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) return new MetadataView { Problem = "metadata.json is not a JSON object" };
            string? options = r.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Object ? Str(o, "E") : null;
            return new MetadataView
            {
                Parsed = true,
                DropReason = Str(r, "drop_reason"), DropDetail = Str(r, "drop_detail"),
                ExecutablePath = Str(r, "executable_path"), CommandLine = Str(r, "command_line"),
                ProcessName = Str(r, "process_name"), RawName = Str(r, "raw_name"),
                CorePatternExe = options is { Length: > 0 } e ? e.Replace('!', '/') : null,
                Signal = Int(r, "signal"), Pid = Int(r, "pid"),
                Truncated = r.TryGetProperty("truncated", out var t) && t.ValueKind == JsonValueKind.True,
                TruncatedReason = Str(r, "truncated_reason"),
                ForeignNamespace = r.TryGetProperty("foreign_namespace", out var f) && f.ValueKind == JsonValueKind.True,
                Warnings = r.TryGetProperty("warnings", out var w) && w.ValueKind == JsonValueKind.Array
                    ? w.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).Take(64).ToList()
                    : [],
            };
        }
        catch (JsonException e) { return new MetadataView { Problem = $"metadata.json does not parse: {e.Message}" }; }
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    /// <summary>argv[0] of a command line recorded as the words joined by spaces.</summary>
    public static string ProgramOnly(string commandLine)
    {
        int space = commandLine.IndexOf(' ');
        return space < 0 ? commandLine : commandLine[..space];
    }

    /// <summary>metadata.json as it goes into a report: with <paramref name="keepArguments"/> false the process's
    /// command line keeps only argv[0] (arguments carry passwords and tokens). A file that does not parse is
    /// withheld rather than copied.</summary>
    public static string ForReport(string json, bool keepArguments)
    {
        if (json.Length == 0) return "";
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
            if (keepArguments) return json;
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) doc.RootElement.WriteTo(w);
                else
                {
                    w.WriteStartObject();
                    foreach (var p in doc.RootElement.EnumerateObject())
                    {
                        if (p.NameEquals("command_line") && p.Value.ValueKind == JsonValueKind.String)
                        {
                            w.WriteString("command_line", ProgramOnly(p.Value.GetString()!));
                            w.WriteString("command_line_note", "arguments withheld (report_detail)");
                        }
                        else p.WriteTo(w);
                    }
                    w.WriteEndObject();
                }
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException) { return $"(metadata.json of {json.Length} characters does not parse; withheld)"; }
    }
}
