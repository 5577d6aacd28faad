using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreDump.Uploader.Report;

/// <summary>Reads the pieces of gdb's batch output the uploader needs. Pure text functions.</summary>
internal static partial class GdbOutput
{
    /// <summary>Section separator the uploader asks gdb to echo between commands, followed by a per-run random
    /// nonce: the crashed program cannot guess it, so no text it controls (file names with newlines, symbol
    /// names, its command line) can open a section.</summary>
    public const string SectionMarkPrefix = "@@cdm-section-";

    [GeneratedRegex(@"^#(\d+)\s+(.*)$")]
    private static partial Regex FrameLine();
    [GeneratedRegex(@"^(0x[0-9a-fA-F]+) in (.*)$")]
    private static partial Regex AddressPrefix();
    [GeneratedRegex(@"^Program terminated with signal (SIG[A-Z0-9]+)")]
    private static partial Regex TerminatedLine();
    [GeneratedRegex(@"^\s*(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)\s+(?:[rwxps-]{4}\s+)?(/.*?)\s*$")]
    private static partial Regex MappingLine();

    public static string SectionMark(string nonce) => SectionMarkPrefix + nonce + " ";

    /// <summary>A fresh unguessable nonce (128 bits, hex).</summary>
    public static string NewNonce() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>Splits output made of "@@cdm-section-NONCE NAME" lines into NAME → text, NAME one of
    /// <see cref="GdbSections"/>; the text before the first mark is <see cref="GdbSections.Preamble"/>. Lines with
    /// another nonce, none, or a name the table does not hold are ordinary text of the current section; a
    /// section name seen twice keeps its first text.</summary>
    public static Dictionary<string, string> Sections(string stdout, string nonce)
    {
        string mark = SectionMark(nonce);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string current = GdbSections.Preamble;
        var sb = new System.Text.StringBuilder();
        foreach (var line in stdout.Split('\n'))
        {
            if (line.StartsWith(mark, StringComparison.Ordinal) && GdbSections.IsKey(line[mark.Length..].Trim()))
            {
                result.TryAdd(current, sb.ToString().TrimEnd());
                current = line[mark.Length..].Trim();
                sb.Clear();
                continue;
            }
            sb.Append(line).Append('\n');
        }
        result.TryAdd(current, sb.ToString().TrimEnd());
        return result;
    }

    /// <summary>The frames gdb's own Python printed as "NONCE [level, pc, name, file, line, library, sigtramp]"
    /// JSON records (json.dumps escapes every control character, so a name cannot break out of its record).
    /// Records must come with consecutive levels from 0; anything else ends the list.</summary>
    public static List<GdbFrame> FrameRecords(string text, string nonce)
    {
        var frames = new List<GdbFrame>();
        string prefix = nonce + " ";
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(line[prefix.Length..]);
                var a = doc.RootElement;
                if (a.ValueKind != System.Text.Json.JsonValueKind.Array || a.GetArrayLength() < 7) break;
                if (!a[0].TryGetInt32(out int level) || level != frames.Count) break;
                ulong? pc = a[1].ValueKind == System.Text.Json.JsonValueKind.Number && a[1].TryGetUInt64(out ulong p) ? p : null;
                string? S(int i) => a[i].ValueKind == System.Text.Json.JsonValueKind.String ? a[i].GetString() : null;
                bool sigtramp = a[6].ValueKind == System.Text.Json.JsonValueKind.True;
                string? file = S(3);
                string? source = file is null ? null : a[4].TryGetInt32(out int ln) && ln > 0 ? $"{file}:{ln}" : file;
                string function = sigtramp ? GdbFrame.SignalHandlerCalled : S(2) is { Length: > 0 } n ? n : "??";
                frames.Add(new GdbFrame(level, pc, function, source, S(5)));
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException) { break; }
        }
        return frames;
    }

    /// <summary>The frames of one `bt` listing (the first thread's, if several are given). Used only when gdb
    /// has no Python for <see cref="FrameRecords"/>: the text can be bent by names holding newlines.</summary>
    public static List<GdbFrame> Frames(string bt)
    {
        var frames = new List<GdbFrame>();
        foreach (var raw in bt.Split('\n'))
        {
            var m = FrameLine().Match(raw.TrimEnd());
            if (!m.Success) { if (frames.Count > 0 && raw.StartsWith("Thread ", StringComparison.Ordinal)) break; continue; }
            if (!int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int level)) break;
            if (level == 0 && frames.Count > 0) break;
            // levels run 0, 1, 2...: a line that breaks the sequence was not printed by gdb as a frame
            if (level != frames.Count) break;
            frames.Add(ParseFrame(level, m.Groups[2].Value));
        }
        return frames;
    }

    private static GdbFrame ParseFrame(int level, string rest)
    {
        ulong? address = null;
        var a = AddressPrefix().Match(rest);
        if (a.Success)
        {
            address = TryHex(a.Groups[1].Value);
            rest = a.Groups[2].Value;
        }
        if (rest.StartsWith('<')) return new GdbFrame(level, address, rest.Trim(), null, null);
        string? source = null, library = null;
        int at = rest.LastIndexOf(") at ", StringComparison.Ordinal);
        int from = rest.LastIndexOf(") from ", StringComparison.Ordinal);
        if (at >= 0) { source = rest[(at + 5)..].Trim(); rest = rest[..(at + 1)]; }
        else if (from >= 0) { library = rest[(from + 7)..].Trim(); rest = rest[..(from + 1)]; }
        return new GdbFrame(level, address, FunctionName(rest), source, library);
    }

    /// <summary>"func (a=1, b=0x0)" → "func": drops the argument list by matching the final parentheses.</summary>
    public static string FunctionName(string call)
    {
        call = call.Trim();
        if (!call.EndsWith(')')) return call;
        int depth = 0;
        for (int i = call.Length - 1; i >= 0; i--)
        {
            if (call[i] == ')') depth++;
            else if (call[i] == '(' && --depth == 0) return call[..i].TrimEnd();
        }
        return call;
    }

    /// <summary>The signal gdb reads from the core ("Program terminated with signal SIGSEGV, ...").</summary>
    public static string? TerminatingSignal(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            var m = TerminatedLine().Match(line.Trim());
            if (m.Success) return m.Groups[1].Value;
        }
        return null;
    }

    public static List<GdbMapping> Mappings(string text)
    {
        var maps = new List<GdbMapping>();
        foreach (var line in text.Split('\n'))
        {
            var m = MappingLine().Match(line);
            if (!m.Success) continue;
            if (TryHex(m.Groups[1].Value) is not ulong start || TryHex(m.Groups[2].Value) is not ulong end || TryHex(m.Groups[4].Value) is not ulong offset) continue;
            maps.Add(new GdbMapping(start, end, offset, m.Groups[5].Value));
        }
        return maps;
    }

    /// <summary>"0x..." → value; null when it does not fit 64 bits (a forged line, never an exception).</summary>
    public static ulong? TryHex(string s) =>
        s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v) ? v : null;

    private static readonly string[] MismatchPatterns =
    [
        "may not match specified executable", "is newer than core file", "is truncated", "Cannot access memory at address",
        "failed to read", "core file too small", "exec file is newer", "Could not check ASLR", "does not match",
        "not in executable format", "is not a core dump", "no core file", "Can't open file", "warning: Unexpected size of section",
        "extending past end of file", "Error reading shared library", "Failed to read a valid object file",
        "Permission denied", "Could not load shared library symbols",
    ];

    /// <summary>gdb's warnings that say the core and executable do not match or that the core is truncated.
    /// (The harmless ".reg-xstate ... too small" of some kernels is not one of them.)</summary>
    public static List<string> SignificantWarnings(string stderr, string preamble = "")
    {
        var found = new List<string>();
        foreach (var raw in stderr.Split('\n').Concat(preamble.Split('\n')))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.Contains(".reg-xstate", StringComparison.Ordinal)) continue;
            // the sandbox hides the crashed process's files (gdb gets a checked private copy of the executable)
            if (line.Contains("during file-backed mapping note processing", StringComparison.Ordinal)) continue;
            if (MismatchPatterns.Any(p => line.Contains(p, StringComparison.OrdinalIgnoreCase)) && !found.Contains(line))
                found.Add(line);
        }
        return found;
    }
}
