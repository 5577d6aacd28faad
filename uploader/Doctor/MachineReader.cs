using CoreDump.Native;
using CoreDump.Uploader.Config;

namespace CoreDump.Uploader.Doctor;

/// <summary>Reads <see cref="MachineFacts"/> from a root directory ("/" on the machine, a prepared tree in the
/// tests). Read-only: nothing here writes, and /proc/sys is only read.</summary>
internal static class MachineReader
{
    /// <summary>systemd-sysctl's directories, most important first: a file name in an earlier one hides the same name in later ones.</summary>
    private static readonly string[] SysctlDirs = ["etc/sysctl.d", "run/sysctl.d", "usr/local/lib/sysctl.d", "usr/lib/sysctl.d", "lib/sysctl.d"];

    public static MachineFacts Read(string root, string configPath)
    {
        string R(string path) => Path.Combine(root, path.TrimStart('/'));
        string? Text(string path, int max = 1 << 20)
        {
            try
            {
                using var f = new FileStream(R(path), FileMode.Open, FileAccess.Read);
                var buf = new byte[max];
                int n = 0, r;
                while (n < buf.Length && (r = f.Read(buf, n, buf.Length - n)) > 0) n += r;
                return System.Text.Encoding.UTF8.GetString(buf, 0, n);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        }

        var warnings = new List<string>();
        UploaderConfig? config = null;
        string? configError = null;
        try
        {
            var loaded = ConfigLoader.Load(configPath);
            config = loaded.Config;
            warnings.AddRange(loaded.Warnings.Select(w => w.Message));
        }
        catch (UploaderError e) { configError = e.Message; }
        config ??= new UploaderConfig();

        string? pattern = Text("/proc/sys/kernel/core_pattern", 4096)?.TrimEnd('\n');
        string cdmPath = DoctorChecks.IsOurs(pattern, out var program) ? program! : "/sbin/cdm";
        string coreFile = Text("/etc/core_file.conf") ?? "";
        string cdmCorepath = DoctorChecks.CoreFileValue(coreFile, "corepath") ?? "/var/core";
        var (free, total) = Space(R(cdmCorepath));
        return new MachineFacts
        {
            CorePattern = pattern,
            CorePipeLimit = Text("/proc/sys/kernel/core_pipe_limit", 64),
            SuidDumpable = Text("/proc/sys/fs/suid_dumpable", 64),
            SysctlFiles = SysctlFiles(R, Text),
            EnabledUnits = EnabledUnits(R("/etc/systemd/system")),
            ApportDefaults = File.Exists(R("/usr/share/apport/apport")) ? Text("/etc/default/apport") ?? "" : null,
            CdmPath = cdmPath, Cdm = Facts(R(cdmPath)),
            Gdb = config.Gdb, GdbFound = FindProgram(root, config.Gdb),
            CdmCorepath = cdmCorepath, UploaderCorepath = config.Corepath, Corepath = Facts(R(cdmCorepath)),
            KeepFree = DoctorChecks.CoreFileValue(coreFile, "keepfree") ?? "10%",
            FreeBytes = free, TotalBytes = total,
            AnalysisUser = config.AnalysisUser, Passwd = Text("/etc/passwd") ?? "",
            ConfigPath = configPath, ConfigError = configError,
            ConfigWarnings = warnings.Where(w => w.Contains("unknown key", StringComparison.Ordinal) || w.Contains("not found", StringComparison.Ordinal)).ToList(),
        };
    }

    /// <summary>The files systemd-sysctl applies, in its order: by file name across the directories (the first
    /// directory holding a name wins), then /etc/sysctl.conf last (Debian's procps reads it after sysctl.d).</summary>
    private static List<(string, string)> SysctlFiles(Func<string, string> r, Func<string, int, string?> text)
    {
        var byName = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in SysctlDirs)
        {
            if (!Directory.Exists(r("/" + dir))) continue;
            foreach (var file in Directory.GetFiles(r("/" + dir), "*.conf"))
                byName.TryAdd(Path.GetFileName(file), "/" + dir + "/" + Path.GetFileName(file));
        }
        var list = byName.Values.Select(p => (p, text(p, 1 << 20) ?? "")).ToList();
        if (text("/etc/sysctl.conf", 1 << 20) is { } conf) list.Add(("/etc/sysctl.conf", conf));
        return list;
    }

    private static HashSet<string> EnabledUnits(string systemDir)
    {
        var units = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(systemDir)) return units;
        foreach (var wants in Directory.GetDirectories(systemDir, "*.wants"))
            foreach (var link in Directory.GetFileSystemEntries(wants))
                units.Add(Path.GetFileName(link));
        return units;
    }

    private static FileFacts Facts(string path) =>
        Posix.TryLStatAt(SafeDirectoryHandle.CurrentDirectory, path, out var st)
            ? new FileFacts(true, st.IsRegular, st.IsDirectory, st.IsSymlink, st.Uid, st.Mode)
            : new FileFacts(false, false, false, false, 0, 0);

    /// <summary>gdb as the uploader would run it: a path, or a name in root's PATH directories.</summary>
    private static string? FindProgram(string root, string program)
    {
        var dirs = program.Contains('/') ? [""] : new[] { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
        foreach (var d in dirs)
        {
            string p = program.Contains('/') ? program : d + "/" + program;
            string full = Path.Combine(root, p.TrimStart('/'));
            if (File.Exists(full) && (File.GetUnixFileMode(full) & UnixFileMode.UserExecute) != 0) return p;
        }
        return null;
    }

    /// <summary>Free bytes as cdm's disk guard counts them (f_bavail) and the filesystem's size, of the nearest existing folder.</summary>
    private static (long? Free, long? Total) Space(string path)
    {
        string p = path;
        while (!Directory.Exists(p) && Path.GetDirectoryName(p) is { } parent && parent != p) p = parent;
        try
        {
            using var dir = Posix.OpenDirectoryAt(SafeDirectoryHandle.CurrentDirectory, p, Posix.O_RDONLY);
            var v = Posix.FstatVfs(dir, p);
            return ((long)(v.BlocksAvailable * v.FragmentSize), (long)(v.Blocks * v.FragmentSize));
        }
        catch (IOException) { return (null, null); }
    }
}
