using System.Globalization;

namespace CoreDump.Uploader.Analysis;

/// <summary>The unprivileged identity gdb runs as (config key analysis_user). Never root, never the shared
/// nobody account (its processes and files are everybody's), so the process-count limit counts only gdb.</summary>
internal sealed record AnalysisIdentity(uint Uid, uint Gid, string Description)
{
    /// <summary>Used when the configured account does not exist (a machine without `install`, the tests):
    /// outside /etc/passwd, outside the ranges Debian and systemd allocate (Debian reserves 65000-65533,
    /// systemd's dynamic users stop at 65519), so no other process or file belongs to it.</summary>
    public const uint FallbackId = 65530;
    public const string DefaultUser = "cdm-analysis";
    private const uint Nobody = 65534;

    /// <summary>Resolves <paramref name="configured"/> (a name or a numeric uid) against the text of /etc/passwd.
    /// Returns null with <paramref name="refusal"/> set when the identity must not be used.</summary>
    public static AnalysisIdentity? Resolve(string configured, string passwd, out string? refusal)
    {
        refusal = null;
        var entries = ParsePasswd(passwd);
        AnalysisIdentity? id;
        if (uint.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out uint uid))
        {
            var e = entries.FirstOrDefault(x => x.Uid == uid);
            id = new AnalysisIdentity(uid, e.Name is null ? uid : e.Gid, e.Name is null ? $"uid {uid}" : $"{e.Name} (uid {uid})");
        }
        else if (entries.FirstOrDefault(x => x.Name == configured) is { Name: not null } named)
            id = new AnalysisIdentity(named.Uid, named.Gid, $"{configured} (uid {named.Uid})");
        else if (entries.Any(x => x.Uid == FallbackId))
        {
            refusal = $"analysis_user '{configured}' does not exist and the fallback uid {FallbackId} belongs to an account in /etc/passwd; create '{configured}' or set analysis_user to a dedicated uid";
            return null;
        }
        else id = new AnalysisIdentity(FallbackId, FallbackId, $"uid {FallbackId} (fallback: no account '{configured}')");
        if (Refusal(id.Uid, id.Gid) is { } why) { refusal = $"analysis_user '{configured}': {why}"; return null; }
        return id;
    }

    /// <summary>Why a uid/gid can never be the analysis identity (null if it can).</summary>
    public static string? Refusal(uint uid, uint gid) =>
        uid == 0 || gid == 0 ? "gdb must never run as root (uid or gid 0)"
        : uid == Nobody || gid == Nobody ? "the shared nobody account (65534) is refused: use a dedicated account"
        : uid == uint.MaxValue || gid == uint.MaxValue ? "uid -1 is not an identity"
        : null;

    /// <summary>A literal refusal for config validation: "root", "nobody", "0", "65534".</summary>
    public static string? RefusalOf(string configured) =>
        configured.Length == 0 ? "must not be empty"
        : configured is "root" or "nobody" or "nogroup" ? $"'{configured}' is refused: gdb needs a dedicated unprivileged account"
        : uint.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out uint u) ? Refusal(u, u)
        : null;

    private readonly record struct PasswdEntry(string? Name, uint Uid, uint Gid);

    private static List<PasswdEntry> ParsePasswd(string text)
    {
        var list = new List<PasswdEntry>();
        foreach (var line in text.Split('\n'))
        {
            var f = line.Split(':');
            if (f.Length < 4 || f[0].Length == 0) continue;
            if (uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint u) &&
                uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out uint g))
                list.Add(new PasswdEntry(f[0], u, g));
        }
        return list;
    }
}
