namespace CoreDump.Tests.Support;

/// <summary>A private temporary tree: corepath, config, log, os-release. Removed on dispose.</summary>
internal sealed class TempRoot : IDisposable
{
    public string Dir { get; }
    public string CorePath => Path.Combine(Dir, "core");
    public string ConfigFile => Path.Combine(Dir, "core_file.conf");
    public string LogFile => Path.Combine(Dir, "log", "cdm.log");
    public string OsRelease => Path.Combine(Dir, "os-release");

    /// <param name="baseDir">where to create the tree (default: the system's temporary directory)</param>
    public TempRoot(int maxcore = 1, string? extraConfig = null, string? baseDir = null)
    {
        Dir = baseDir is null ? Directory.CreateTempSubdirectory("cdmtest-").FullName // 0700
            : Directory.CreateDirectory(Path.Combine(baseDir, "cdmtest-" + Guid.NewGuid().ToString("N")[..12]), (UnixFileMode)Convert.ToInt32("700", 8)).FullName;
        File.WriteAllText(OsRelease, "PRETTY_NAME=\"CoreDump Test OS 1.0\"\nID=coredumptest\nVERSION_ID=\"1.0\"\n");
        WriteConfig($"maxcore={maxcore}\ncorepath={CorePath}\nlogfile={LogFile}\n{extraConfig}");
    }

    public void WriteConfig(string text) => File.WriteAllText(ConfigFile, text);

    public string DaemonDir(string safe) => Path.Combine(CorePath, safe);

    public string[] Archives(string safe) =>
        Directory.Exists(DaemonDir(safe))
            ? Directory.GetFiles(DaemonDir(safe), "*.core.tar.gz").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray()
            : [];

    /// <summary>The drop records (crashes stored without their core) of a daemon directory.</summary>
    public string[] DropRecords(string safe) =>
        Directory.Exists(DaemonDir(safe))
            ? Directory.GetFiles(DaemonDir(safe), "*.drop.tar.gz").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray()
            : [];

    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
