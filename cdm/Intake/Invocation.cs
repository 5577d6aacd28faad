using System.Globalization;
using System.Text;

namespace CoreDump.Cdm.Intake;

/// <summary>What the kernel's core_pattern line handed cdm: <c>cdm %e %t [K=%X ...]</c>.</summary>
internal sealed record Invocation
{
    public byte[] RawName { get; init; } = [];
    public string SafeName { get; init; } = DaemonName.Placeholder;
    public long CrashTime { get; init; }
    public bool CrashTimeFromArgs { get; init; }
    /// <summary>Optional specifiers, by their core_pattern letter: P pid, s signal, u uid, g gid, d dumpable,
    /// c core limit, h hostname, E executable path (with ! for /), I tid.</summary>
    public Dictionary<string, string> Options { get; init; } = [];
    public List<string> Argv { get; init; } = [];
    public List<string> Warnings { get; init; } = [];

    public int? OptionInt(string key) =>
        Options.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) ? n : null;
}

/// <summary>Pure parsing of cdm's arguments as raw bytes (from /proc/self/cmdline, so a name that is not
/// UTF-8 is kept exactly). Never fails: a missing name becomes the placeholder, a bad time becomes now.</summary>
internal static class InvocationParser
{
    public static readonly IReadOnlySet<string> OptionKeys = new HashSet<string> { "P", "p", "s", "u", "g", "d", "c", "h", "E", "I", "i" };

    /// <param name="args">arguments after argv[0]</param>
    /// <param name="now">unix time to use when %t is missing or bad</param>
    public static Invocation Parse(IReadOnlyList<byte[]> args, long now)
    {
        var warnings = new List<string>();
        var argv = args.Select(a => DaemonName.Printable(a)).ToList();
        if (args.Count == 0)
        {
            warnings.Add($"no process name given; using {DaemonName.Placeholder}");
            warnings.Add("no crash time given; using now");
            return new Invocation { CrashTime = now, Argv = argv, Warnings = warnings };
        }
        // Older kernels split a %e containing spaces into several arguments: every positional argument up
        // to the last one belongs to the name; the last positional one is %t.
        var options = new Dictionary<string, string>();
        var positional = new List<byte[]> { args[0] };
        for (int i = 1; i < args.Count; i++)
        {
            if (TryOption(args[i], out var key, out var value))
            {
                if (value.Length > 0) options[key] = value;
            }
            else positional.Add(args[i]);
        }
        byte[]? timeArg = positional.Count > 1 ? positional[^1] : null;
        byte[] rawName = positional.Count > 2 ? Join(positional.Take(positional.Count - 1)) : positional[0];
        if (positional.Count > 2) warnings.Add($"process name arrived split in {positional.Count - 1} arguments; joined with spaces");

        string safe = DaemonName.ToSafe(rawName);
        if (rawName.Length == 0) warnings.Add($"empty process name; using {DaemonName.Placeholder}");

        long time = now;
        bool fromArgs = false;
        if (timeArg is null) warnings.Add("no crash time given; using now");
        else if (long.TryParse(Encoding.ASCII.GetString(timeArg), NumberStyles.None, CultureInfo.InvariantCulture, out long t) && t <= 253402300799)
        { time = t; fromArgs = true; }
        else warnings.Add($"bad crash time \"{DaemonName.Printable(timeArg)}\"; using now");

        return new Invocation
        {
            RawName = rawName, SafeName = safe, CrashTime = time, CrashTimeFromArgs = fromArgs,
            Options = options, Argv = argv, Warnings = warnings,
        };
    }

    /// <summary>Splits /proc/self/cmdline into arguments, dropping argv[0].</summary>
    public static List<byte[]> SplitCmdline(ReadOnlySpan<byte> cmdline)
    {
        var result = new List<byte[]>();
        if (cmdline.Length > 0 && cmdline[^1] == 0) cmdline = cmdline[..^1];
        bool first = true;
        while (true)
        {
            int nul = cmdline.IndexOf((byte)0);
            var arg = nul < 0 ? cmdline : cmdline[..nul];
            if (!first) result.Add(arg.ToArray());
            first = false;
            if (nul < 0) break;
            cmdline = cmdline[(nul + 1)..];
        }
        return result;
    }

    private static bool TryOption(byte[] arg, out string key, out string value)
    {
        key = value = "";
        int eq = Array.IndexOf(arg, (byte)'=');
        if (eq <= 0 || eq > 2) return false;
        key = Encoding.ASCII.GetString(arg, 0, eq);
        if (!OptionKeys.Contains(key)) return false;
        value = DaemonName.Printable(arg.AsSpan(eq + 1));
        return true;
    }

    private static byte[] Join(IEnumerable<byte[]> parts)
    {
        var list = new List<byte>();
        foreach (var p in parts)
        {
            if (list.Count > 0) list.Add((byte)' ');
            list.AddRange(p);
        }
        return list.ToArray();
    }
}
