using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Delivery;
using Tomlyn;

namespace CoreDump.Uploader.Config;

internal static class ConfigLoader
{
    public const string DefaultPath = "/etc/cdm/uploader.toml";

    /// <summary>Reads <paramref name="path"/>; a missing file gives the embedded defaults. A file that cannot
    /// be read, is malformed or holds a refused value throws <see cref="UploaderError"/> (exit 78, EX_CONFIG).</summary>
    public static LoadedConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            if (Directory.Exists(path)) throw Bad(path, "is a directory");
            var missing = new ConfigWarning(ConfigWarningKind.MissingFile, null, $"{path} not found: using the embedded defaults");
            return new LoadedConfig(Validate(new UploaderConfig(), path), [missing]);
        }
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Bad(path, e.Message); }
        return Parse(text, path);
    }

    /// <summary>The configuration <paramref name="text"/> (read from <paramref name="path"/>, named in every
    /// message) holds, checked against every rule, with a warning for each unknown key. No I/O.</summary>
    public static LoadedConfig Parse(string text, string path)
    {
        UploaderConfig cfg;
        try { cfg = TomlSerializer.Deserialize(text, UploaderTomlContext.Default.UploaderConfig) ?? new UploaderConfig(); }
        catch (TomlException e) { throw Bad(path, TomlTypeError.Describe(e.Message.Split('\n')[0], text)); }
        var warnings = cfg.UnknownKeys().Select(k => new ConfigWarning(ConfigWarningKind.UnknownKey, k, $"{path}: unknown key '{k}' ignored")).ToList();
        return new LoadedConfig(Validate(cfg, path), warnings);
    }

    private static UploaderError Bad(string path, string what) => new(ExitCodes.Config, $"bad configuration: {path}: {what}");

    private static UploaderConfig Validate(UploaderConfig c, string path)
    {
        void Need(bool ok, string what) { if (!ok) throw Bad(path, what); }
        void Refuse(string? reason) { if (reason is not null) throw Bad(path, reason); }
        foreach (var (key, value) in new[] { ("corepath", c.Corepath), ("outbox", c.Outbox), ("state_dir", c.StateDir), ("log_file", c.LogFile) })
            Need(Path.IsPathRooted(value), $"{key} must be an absolute path, not '{value}'");
        Need(c.WorkDir is null || Path.IsPathRooted(c.WorkDir), "work_dir must be an absolute path");
        Need(c.PrometheusTextfileDir is null || Path.IsPathRooted(c.PrometheusTextfileDir), "prometheus_textfile_dir must be an absolute path");
        Refuse(ConfigRules.WorkDirOverlap(c.EffectiveWorkDir, c.Corepath, c.Outbox, c.StateDir, c.LogFile, c.LockFile));
        Refuse(ConfigRules.OutboxBoundsRefusal(c.OutboxMaxBytes, c.OutboxKeepFreeBytes));
        foreach (var h in c.AllowHttpHosts) Refuse(ConfigRules.AllowHttpHostRefusal(h));
        Need(c.Gdb.Length > 0, "gdb must not be empty");
        Need(c.GdbTimeoutSeconds is > 0 and <= 86400, "gdb_timeout_seconds must be 1..86400");
        Need(c.RunTimeoutSeconds is > 0 and <= 86400, "run_timeout_seconds must be 1..86400");
        Need(c.KeepFreeBytes >= 0, "keep_free_bytes must be >= 0");
        Need(AnalysisIdentity.RefusalOf(c.AnalysisUser) is null, $"analysis_user: {AnalysisIdentity.RefusalOf(c.AnalysisUser)}");
        Need(c.AnalysisMemoryBytes >= 64L << 20, "analysis_memory_bytes must be at least 67108864 (64 MiB)");
        Need(c.AnalysisCpuSeconds is > 0 and <= 86400, "analysis_cpu_seconds must be 1..86400");
        Need(c.AnalysisMaxProcesses is > 0 and <= 65536, "analysis_max_processes must be 1..65536");
        Need(c.AnalysisOutputBytes >= 1L << 20, "analysis_output_bytes must be at least 1048576 (1 MiB)");
        Need(c.ReportDetail is "frames" or "locals" or "full", $"report_detail must be frames, locals or full, not '{c.ReportDetail}'");
        for (int i = 0; i < c.DebuginfodUrls.Count; i++) Refuse(ConfigRules.DebuginfodUrlRefusal(i, c.DebuginfodUrls[i], c.AllowHttpHosts));
        Need(c.DebuginfodMaxFileBytes > 0, "debuginfod_max_file_bytes must be > 0");
        Need(c.DebuginfodCacheBytes >= c.DebuginfodMaxFileBytes, "debuginfod_cache_bytes must be at least debuginfod_max_file_bytes");
        Need(c.DebuginfodTimeoutSeconds is > 0 and <= 3600, "debuginfod_timeout_seconds must be 1..3600");
        Refuse(ConfigRules.CacheOverlap(c.EffectiveWorkDir, c.StateDir));
        for (int i = 0; i < c.Server.Count; i++)
        {
            var s = c.Server[i];
            Need(Uri.TryCreate(s.Url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp),
                $"server[{i}].url must be an absolute http(s) URL, not '{s.Url}'");
            Need(s.TimeoutSeconds is > 0 and <= 3600, $"server[{i}].timeout_seconds must be 1..3600");
            Need(s.AuthHeader is null || s.AuthHeader.IndexOf(':') > 0, $"server[{i}].auth_header must look like 'Name: value'");
            Refuse(ConfigRules.HttpRefusal(i, u!, s.AuthHeader is not null, c.AllowHttpHosts));
            if (ArchiveModes.Resolve(s.Archive, s.UploadArchive, out var archiveRefusal) is null) Refuse($"server[{i}].{archiveRefusal}");
        }
        return c;
    }
}
