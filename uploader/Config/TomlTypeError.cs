using System.Text.RegularExpressions;

namespace CoreDump.Uploader.Config;

/// <summary>Tomlyn's message for a value of the wrong type names a converter and a .NET type; the admin needs the
/// key, its line and the TOML types. A pure rewrite of that one message; any other passes unchanged.</summary>
internal static partial class TomlTypeError
{
    [GeneratedRegex(@"^\((\d+),(\d+)\) : error : .*Expected (\w+) token but was (\w+)")]
    private static partial Regex WrongType();

    public static string Describe(string message, string text)
    {
        var m = WrongType().Match(message);
        if (!m.Success || !int.TryParse(m.Groups[1].Value, out int line)) return message;
        string[] lines = text.Split('\n');
        string key = line >= 1 && line <= lines.Length && lines[line - 1].IndexOf('=') is var eq and > 0 ? lines[line - 1][..eq].Trim() : "a key";
        return $"line {line}: {key} must be a {Name(m.Groups[3].Value)}, not a {Name(m.Groups[4].Value)}";
    }

    private static string Name(string token) => token switch
    {
        "Boolean" => "boolean (true or false)",
        "String" => "string (in double quotes)",
        _ => token.ToLowerInvariant(),
    };
}
