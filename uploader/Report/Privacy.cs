using System.Text.RegularExpressions;

namespace CoreDump.Uploader.Report;

/// <summary>Report privacy filters that hold at every report_detail level.</summary>
internal static partial class Privacy
{
    /// <summary>A string gdb printed that reads like an environment entry ("NAME=value", as in environ or a
    /// getenv-built buffer).</summary>
    [GeneratedRegex("\"([A-Za-z_][A-Za-z0-9_]{0,127})=(?:[^\"\\\\\\n]|\\\\.)*\"")]
    private static partial Regex EnvironmentString();

    public const string Withheld = "<withheld: looks like an environment entry>";

    /// <summary>Replaces the value of every "NAME=value" string in gdb's output; the name stays.</summary>
    public static string StripEnvironmentStrings(string gdbText) =>
        EnvironmentString().Replace(gdbText, m => $"\"{m.Groups[1].Value}={Withheld}\"");
}
