using System.Globalization;
using CoreDump.Uploader.Analysis;

namespace CoreDump.Uploader.Doctor;

internal enum CheckStatus { Ok, Warn, Fail }

/// <summary>One finding of `doctor`: what was checked, what was found and, when it is not right, how to fix it.</summary>
internal sealed record DoctorCheck(string Name, CheckStatus Status, string Detail, string? Fix = null);

/// <summary>A file's facts as lstat(2) reports them (no symlink followed).</summary>
internal sealed record FileFacts(bool Exists, bool IsRegular, bool IsDirectory, bool IsSymlink, uint Uid, uint Mode);

/// <summary>Everything `doctor` looks at, read beforehand (read-only) so the checks are pure functions.</summary>
internal sealed record MachineFacts
{
    public string? CorePattern { get; init; }
    public string? CorePipeLimit { get; init; }
    public string? SuidDumpable { get; init; }
    /// <summary>sysctl.d files (and /etc/sysctl.conf) in the order systemd-sysctl applies them, each with its text.</summary>
    public List<(string File, string Text)> SysctlFiles { get; init; } = [];
    /// <summary>Units enabled through a *.wants/ link under /etc/systemd/system (names only).</summary>
    public HashSet<string> EnabledUnits { get; init; } = [];
    /// <summary>/etc/default/apport's text, when apport is installed.</summary>
    public string? ApportDefaults { get; init; }
    public string CdmPath { get; init; } = "/sbin/cdm";
    public FileFacts? Cdm { get; init; }
    public string Gdb { get; init; } = "gdb";
    public string? GdbFound { get; init; }
    public string CdmCorepath { get; init; } = "/var/core";
    public string UploaderCorepath { get; init; } = "/var/core";
    public FileFacts? Corepath { get; init; }
    public string KeepFree { get; init; } = "10%";
    /// <summary>Free and total bytes of the corepath's filesystem (of its nearest existing parent).</summary>
    public long? FreeBytes { get; init; }
    public long? TotalBytes { get; init; }
    public string AnalysisUser { get; init; } = AnalysisIdentity.DefaultUser;
    public string Passwd { get; init; } = "";
    public string ConfigPath { get; init; } = "";
    public string? ConfigError { get; init; }
    public List<string> ConfigWarnings { get; init; } = [];
}

/// <summary>`doctor --json`.</summary>
internal sealed record DoctorReport(List<DoctorCheck> Checks, int Failed, int Warnings);

/// <summary>The checks of `doctor`, each a pure function of <see cref="MachineFacts"/>.</summary>
internal static class DoctorChecks
{
    /// <summary>The line /etc/sysctl.d/50-coredump.conf installs (sysctl.d/50-coredump.conf in the source tree).</summary>
    public const string OurPattern = "|/sbin/cdm %e %t P=%P s=%s u=%u g=%g d=%d c=%c h=%h E=%E p=%p I=%I";
    private const string ApplyFix = "install /etc/sysctl.d/50-coredump.conf (the package does) and apply it: sysctl -p /etc/sysctl.d/50-coredump.conf";

    public static List<DoctorCheck> All(MachineFacts f) =>
    [
        Config(f), CorePattern(f.CorePattern), CorePatternAtBoot(f.SysctlFiles), PipeLimit(f.CorePipeLimit), SuidDumpable(f.SuidDumpable),
        .. CompetingHandlers(f), CdmBinary(f.CdmPath, f.Cdm), Gdb(f.Gdb, f.GdbFound), Corepath(f), FreeSpace(f), AnalysisUser(f.AnalysisUser, f.Passwd),
    ];

    public static DoctorReport Report(List<DoctorCheck> checks) =>
        new(checks, checks.Count(c => c.Status == CheckStatus.Fail), checks.Count(c => c.Status == CheckStatus.Warn));

    /// <summary>Ours: a pipe to a program named cdm whose first two arguments are %e and %t (cdm reads them by position).</summary>
    public static bool IsOurs(string? pattern, out string? program)
    {
        program = null;
        if (pattern is null || !pattern.StartsWith('|')) return false;
        var words = pattern[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 3) return false;
        program = words[0];
        return Path.GetFileName(words[0]) == "cdm" && words[0].StartsWith('/') && words[1] == "%e" && words[2] == "%t";
    }

    /// <summary>Who takes the cores when it is not cdm.</summary>
    public static string Handler(string pattern) =>
        pattern.Contains("systemd-coredump", StringComparison.Ordinal) ? "systemd-coredump"
        : pattern.Contains("apport", StringComparison.Ordinal) ? "apport"
        : pattern.Contains("abrt", StringComparison.Ordinal) ? "ABRT"
        : pattern.StartsWith('|') ? $"the program {pattern[1..].Split(' ')[0]}"
        : "the kernel itself (a core file named by the pattern, in the crashed process's directory)";

    public static DoctorCheck CorePattern(string? pattern)
    {
        const string Name = "core_pattern";
        if (pattern is null) return new(Name, CheckStatus.Fail, "/proc/sys/kernel/core_pattern cannot be read", "run doctor as root on the machine itself");
        string p = pattern.TrimEnd('\n');
        if (IsOurs(p, out _)) return new(Name, CheckStatus.Ok, $"pipes to cdm: {p}");
        if (p.StartsWith("|") && Path.GetFileName(p[1..].Split(' ')[0]) == "cdm")
            return new(Name, CheckStatus.Fail, $"pipes to cdm but without %e %t as its first arguments: {p}", ApplyFix);
        return new(Name, CheckStatus.Fail, $"cores go to {Handler(p)}, not cdm: '{p}'", ApplyFix);
    }

    /// <summary>The core_pattern a reboot sets: the last assignment in systemd-sysctl's order.</summary>
    public static (string? Value, string? File) BootValue(IEnumerable<(string File, string Text)> files, string key)
    {
        string? value = null, from = null;
        foreach (var (file, text) in files)
            foreach (var raw in text.Split('\n'))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line[0] is '#' or ';') continue;
                if (line[0] == '-') line = line[1..];
                int eq = line.IndexOf('=');
                if (eq <= 0) continue;
                if (line[..eq].Trim().Replace('/', '.') != key) continue;
                value = line[(eq + 1)..].Trim();
                from = file;
            }
        return (value, from);
    }

    public static DoctorCheck CorePatternAtBoot(List<(string File, string Text)> files)
    {
        const string Name = "core_pattern at boot";
        var (value, file) = BootValue(files, "kernel.core_pattern");
        if (value is null) return new(Name, CheckStatus.Fail, "no sysctl.d file sets kernel.core_pattern: a reboot leaves the kernel's default", ApplyFix);
        if (IsOurs(value, out _)) return new(Name, CheckStatus.Ok, $"{file} sets it to cdm");
        return new(Name, CheckStatus.Fail, $"after a reboot cores go to {Handler(value)}: {file} sets '{value}' last",
            $"make /etc/sysctl.d/50-coredump.conf the last file to set kernel.core_pattern (remove or override {file})");
    }

    public static DoctorCheck PipeLimit(string? value)
    {
        const string Name = "core_pipe_limit";
        if (value is null) return new(Name, CheckStatus.Warn, "/proc/sys/kernel/core_pipe_limit cannot be read");
        string v = value.Trim();
        if (v == "0") return new(Name, CheckStatus.Ok, "0: the kernel never skips a crash because others are being captured (cdm bounds its own concurrency)");
        return new(Name, CheckStatus.Warn, $"{v}: the kernel skips crashes while {v} are being piped at once",
            "sysctl -w kernel.core_pipe_limit=0 (as /etc/sysctl.d/50-coredump.conf sets it)");
    }

    public static DoctorCheck SuidDumpable(string? value)
    {
        const string Name = "fs.suid_dumpable";
        if (value is null) return new(Name, CheckStatus.Warn, "/proc/sys/fs/suid_dumpable cannot be read");
        string v = value.Trim();
        if (v == "2") return new(Name, CheckStatus.Ok, "2: processes that changed credentials are dumped too (cdm stores them root-only)");
        return new(Name, CheckStatus.Fail, $"{v}: crashes of processes that changed credentials (daemons dropping root) are not dumped",
            "sysctl -w fs.suid_dumpable=2 (as /etc/sysctl.d/50-coredump.conf sets it)");
    }

    /// <summary>Crash handlers that would take core_pattern back: apport and ABRT set it when their service starts.</summary>
    public static IEnumerable<DoctorCheck> CompetingHandlers(MachineFacts f)
    {
        const string Name = "other crash handlers";
        var found = new List<DoctorCheck>();
        if (f.ApportDefaults is { } apport && ApportEnabled(apport) || f.EnabledUnits.Contains("apport.service"))
            found.Add(new(Name, CheckStatus.Fail, "apport is enabled: it sets core_pattern to itself whenever its service starts",
                "set enabled=0 in /etc/default/apport and run: systemctl disable --now apport.service"));
        foreach (var unit in new[] { "abrt-ccpp.service", "abrtd.service" }.Where(f.EnabledUnits.Contains))
            found.Add(new(Name, CheckStatus.Fail, $"{unit} is enabled: ABRT sets core_pattern to its own hook when it starts",
                $"systemctl disable --now {unit}"));
        if (f.EnabledUnits.Contains("systemd-coredump.socket"))
            found.Add(new(Name, CheckStatus.Warn, "systemd-coredump.socket is enabled (harmless while core_pattern is cdm's; it is what systemd's own 50-coredump.conf pipes to)",
                "systemctl mask systemd-coredump.socket, or leave it: /etc/sysctl.d/50-coredump.conf overrides systemd's file of the same name"));
        if (found.Count == 0) found.Add(new(Name, CheckStatus.Ok, "none enabled (apport, ABRT, systemd-coredump)"));
        return found;
    }

    private static bool ApportEnabled(string defaults) =>
        defaults.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("enabled=", StringComparison.Ordinal)) is not { } line
        || line != "enabled=0";

    public static DoctorCheck CdmBinary(string path, FileFacts? f)
    {
        string name = "cdm binary";
        if (f is not { Exists: true }) return new(name, CheckStatus.Fail, $"{path} does not exist", "install the package (or: ./build.sh install)");
        if (f.IsSymlink || !f.IsRegular) return new(name, CheckStatus.Fail, $"{path} is not a regular file", "install the package (or: ./build.sh install)");
        if (f.Uid != 0) return new(name, CheckStatus.Fail, $"{path} is owned by uid {f.Uid}, not root: whoever owns it runs code as root at every crash", $"chown root:root {path}");
        if ((f.Mode & 0x12) != 0) return new(name, CheckStatus.Fail, $"{path} is writable by group or others (mode {Octal(f.Mode)})", $"chmod 0755 {path}");
        if ((f.Mode & 0x40) == 0) return new(name, CheckStatus.Fail, $"{path} is not executable (mode {Octal(f.Mode)})", $"chmod 0755 {path}");
        return new(name, CheckStatus.Ok, $"{path}: root-owned, mode {Octal(f.Mode)}");
    }

    public static DoctorCheck Gdb(string gdb, string? found) =>
        found is not null ? new("gdb", CheckStatus.Ok, $"{found}")
        : new("gdb", CheckStatus.Fail, $"'{gdb}' not found: no reports can be made (archives wait as pending)", "apt-get install gdb (or set gdb = in /etc/cdm/uploader.toml)");

    public static DoctorCheck Corepath(MachineFacts f)
    {
        const string Name = "corepath";
        string path = f.CdmCorepath;
        if (f.CdmCorepath != f.UploaderCorepath)
            return new(Name, CheckStatus.Fail, $"cdm writes to {f.CdmCorepath} (/etc/core_file.conf) but the uploader reads {f.UploaderCorepath} ({f.ConfigPath})",
                "set the same corepath in both files");
        if (f.Corepath is not { Exists: true })
            return new(Name, CheckStatus.Warn, $"{path} does not exist yet (cdm creates it, 0755 root, at the first crash)");
        if (f.Corepath.IsSymlink || !f.Corepath.IsDirectory) return new(Name, CheckStatus.Fail, $"{path} is not a directory (cdm refuses a symlink)", $"remove it; cdm creates {path} itself");
        if (f.Corepath.Uid != 0) return new(Name, CheckStatus.Fail, $"{path} is owned by uid {f.Corepath.Uid}: cdm refuses it and stores no crash", $"chown root:root {path}");
        if ((f.Corepath.Mode & 0x12) != 0) return new(Name, CheckStatus.Fail, $"{path} is writable by group or others (mode {Octal(f.Corepath.Mode)}): cdm refuses it", $"chmod 0755 {path}");
        return new(Name, CheckStatus.Ok, $"{path}: root-owned, mode {Octal(f.Corepath.Mode)}");
    }

    /// <summary>The bytes `keepfree` asks to keep free (a size with K/M/G/T, or a percentage of the filesystem).</summary>
    public static long? KeepFreeBytes(string keepFree, long total)
    {
        string v = keepFree.Trim();
        if (v.EndsWith('%'))
            return int.TryParse(v[..^1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p <= 90 ? total / 100 * p : null;
        return Markers.TimeSpec.Size(v, out _);
    }

    public static DoctorCheck FreeSpace(MachineFacts f)
    {
        const string Name = "free space";
        if (f.FreeBytes is not long free || f.TotalBytes is not long total) return new(Name, CheckStatus.Warn, $"cannot read the free space of {f.CdmCorepath}'s filesystem");
        if (KeepFreeBytes(f.KeepFree, total) is not long keep) return new(Name, CheckStatus.Warn, $"keepfree = '{f.KeepFree}' in /etc/core_file.conf does not parse (cdm uses 10%)");
        if (free < keep)
            return new(Name, CheckStatus.Fail, $"{free} bytes free on {f.CdmCorepath}'s filesystem, keepfree asks for {keep} ({f.KeepFree}): cdm stores no core (drop records disk_guard)",
                "free space, e.g.: cdm-uploader vacuum --older-than 30d (or lower keepfree in /etc/core_file.conf)");
        return new(Name, CheckStatus.Ok, $"{free} bytes free, keepfree {keep} ({f.KeepFree})");
    }

    public static DoctorCheck AnalysisUser(string configured, string passwd)
    {
        const string Name = "analysis user";
        var id = AnalysisIdentity.Resolve(configured, passwd, out var refusal);
        if (id is null) return new(Name, CheckStatus.Fail, refusal ?? "refused", $"create a dedicated account: useradd --system --no-create-home --shell /usr/sbin/nologin {AnalysisIdentity.DefaultUser}");
        if (id.Uid == AnalysisIdentity.FallbackId && !uint.TryParse(configured, out _))
            return new(Name, CheckStatus.Warn, $"no account '{configured}': gdb runs as the fallback uid {AnalysisIdentity.FallbackId}",
                $"useradd --system --no-create-home --shell /usr/sbin/nologin {configured}");
        return new(Name, CheckStatus.Ok, $"gdb runs as {id.Description}");
    }

    public static DoctorCheck Config(MachineFacts f) =>
        f.ConfigError is { } e ? new("uploader config", CheckStatus.Fail, e, $"fix {f.ConfigPath} (see docs/uploader.md, Configuration)")
        : f.ConfigWarnings.Count > 0 ? new("uploader config", CheckStatus.Warn, string.Join("; ", f.ConfigWarnings))
        : new("uploader config", CheckStatus.Ok, $"{f.ConfigPath} parses");

    private static string Octal(uint mode) => Convert.ToString(mode & 0xfff, 8).PadLeft(4, '0');

    /// <summary>core_file.conf's value for <paramref name="key"/> (the last line counts; quotes and comments stripped).</summary>
    public static string? CoreFileValue(string text, string key)
    {
        string? value = null;
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith('#')) continue;
            int hash = line.IndexOf(" #", StringComparison.Ordinal);
            if (hash >= 0) line = line[..hash];
            int eq = line.IndexOf('=');
            if (eq <= 0 || line[..eq].Trim() != key) continue;
            value = line[(eq + 1)..].Trim().Trim('"', '\'');
        }
        return value;
    }
}
