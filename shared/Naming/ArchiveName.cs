using System.Globalization;

namespace CoreDump.Naming;

/// <summary>The archive name contract: &lt;daemon&gt;.&lt;count&gt;.&lt;unixtime&gt;.core.tar.gz, the core member
/// inside it, and the hidden temporary a capture writes before it is published. A drop record (a crash
/// stored without its core) is &lt;daemon&gt;.&lt;count&gt;.&lt;unixtime&gt;.drop.tar.gz: its own slots
/// (maxdrop), never counted as or confused with a core archive's.</summary>
internal readonly record struct ArchiveName(string Daemon, int Slot, long UnixTime, bool Drop = false)
{
    public const string Suffix = ".core.tar.gz";
    public const string DropSuffix = ".drop.tar.gz";
    public const string TempSuffix = ".tmp";
    public const string DropTempSuffix = ".drop.tmp";

    public string FileName => $"{Daemon}.{Slot}.{UnixTime}{(Drop ? DropSuffix : Suffix)}";
    public string CoreMember => $"{Daemon}.{Slot}.{UnixTime}.core";
    public string TempName(int pid) => $".{Daemon}.{Slot}.{UnixTime}.{pid}{(Drop ? DropTempSuffix : TempSuffix)}";

    /// <summary>Parses a published archive's file name (a core archive or a drop record); the daemon part
    /// must equal the directory's name.</summary>
    public static ArchiveName? Parse(string fileName, string daemon)
    {
        if (!fileName.StartsWith(daemon + ".", StringComparison.Ordinal)) return null;
        bool drop = fileName.EndsWith(DropSuffix, StringComparison.Ordinal);
        if (!drop && !fileName.EndsWith(Suffix, StringComparison.Ordinal)) return null;
        int suffixLength = drop ? DropSuffix.Length : Suffix.Length;
        if (fileName.Length < daemon.Length + 1 + suffixLength) return null;
        var middle = fileName.AsSpan(daemon.Length + 1, fileName.Length - daemon.Length - 1 - suffixLength);
        int dot = middle.IndexOf('.');
        if (dot <= 0) return null;
        if (!TryParseNumber(middle[..dot], out long slot) || slot < 1 || slot > int.MaxValue) return null;
        if (!TryParseNumber(middle[(dot + 1)..], out long time)) return null;
        return new ArchiveName(daemon, (int)slot, time, drop);
    }

    /// <summary>Parses a temporary's name: .&lt;daemon&gt;.&lt;slot&gt;.&lt;time&gt;.&lt;pid&gt;.tmp (a core archive)
    /// or .&lt;daemon&gt;.&lt;slot&gt;.&lt;time&gt;.&lt;pid&gt;.drop.tmp (a drop record).</summary>
    public static (ArchiveName Name, int Pid)? ParseTemp(string fileName, string daemon)
    {
        string prefix = "." + daemon + ".";
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(TempSuffix, StringComparison.Ordinal))
            return null;
        bool drop = fileName.EndsWith(DropTempSuffix, StringComparison.Ordinal);
        int suffixLength = drop ? DropTempSuffix.Length : TempSuffix.Length;
        if (fileName.Length < prefix.Length + suffixLength) return null;
        var parts = fileName[prefix.Length..^suffixLength].Split('.');
        if (parts.Length != 3) return null;
        if (!TryParseNumber(parts[0], out long slot) || slot < 1 || slot > int.MaxValue) return null;
        if (!TryParseNumber(parts[1], out long time) || !TryParseNumber(parts[2], out long pid) || pid > int.MaxValue) return null;
        return (new ArchiveName(daemon, (int)slot, time, drop), (int)pid);
    }

    private static bool TryParseNumber(ReadOnlySpan<char> s, out long value) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
