using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreDump.Upload;

/// <summary>Reads the pieces of gdb's batch output the uploader needs. Pure text functions.</summary>
public static partial class GdbOutput
{
    /// <summary>Section separator the uploader asks gdb to echo between commands.</summary>
    public const string SectionMark = "@@cdm-section ";

    [GeneratedRegex(@"^#(\d+)\s+(.*)$")]
    private static partial Regex FrameLine();
    [GeneratedRegex(@"^(0x[0-9a-fA-F]+) in (.*)$")]
    private static partial Regex AddressPrefix();
    [GeneratedRegex(@"^Program terminated with signal (SIG[A-Z0-9]+)")]
    private static partial Regex TerminatedLine();
    [GeneratedRegex(@"^\s*(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)\s+(?:[rwxps-]{4}\s+)?(/.*?)\s*$")]
    private static partial Regex MappingLine();

    /// <summary>Splits output made of "@@cdm-section NAME" lines into NAME → text.</summary>
    public static Dictionary<string, string> Sections(string stdout)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string current = "preamble";
        var sb = new System.Text.StringBuilder();
        foreach (var line in stdout.Split('\n'))
        {
            if (line.StartsWith(SectionMark, StringComparison.Ordinal))
            {
                result[current] = sb.ToString().TrimEnd();
                current = line[SectionMark.Length..].Trim();
                sb.Clear();
                continue;
            }
            sb.Append(line).Append('\n');
        }
        result[current] = sb.ToString().TrimEnd();
        return result;
    }

    /// <summary>The frames of one `bt` listing (the first thread's, if several are given).</summary>
    public static List<GdbFrame> Frames(string bt)
    {
        var frames = new List<GdbFrame>();
        foreach (var raw in bt.Split('\n'))
        {
            var m = FrameLine().Match(raw.TrimEnd());
            if (!m.Success) { if (frames.Count > 0 && raw.StartsWith("Thread ", StringComparison.Ordinal)) break; continue; }
            int level = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (level == 0 && frames.Count > 0) break;
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
            address = ulong.Parse(a.Groups[1].Value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
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
            maps.Add(new GdbMapping(Hex(m.Groups[1].Value), Hex(m.Groups[2].Value), Hex(m.Groups[4].Value), m.Groups[5].Value));
        }
        return maps;
    }

    private static ulong Hex(string s) => ulong.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static readonly string[] MismatchPatterns =
    [
        "may not match specified executable", "is newer than core file", "is truncated", "Cannot access memory at address",
        "failed to read", "core file too small", "exec file is newer", "Could not check ASLR", "does not match",
        "not in executable format", "is not a core dump", "no core file", "Can't open file", "warning: Unexpected size of section",
        "extending past end of file", "Error reading shared library", "Failed to read a valid object file",
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
            if (MismatchPatterns.Any(p => line.Contains(p, StringComparison.OrdinalIgnoreCase)) && !found.Contains(line))
                found.Add(line);
        }
        return found;
    }
}
