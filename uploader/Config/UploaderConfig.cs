using System.Text.Json.Serialization;
using Tomlyn.Serialization;

namespace CoreDump.Uploader.Config;

/// <summary>/etc/cdm/uploader.toml (docs/uploader.md). Keys are snake_case; unknown keys land in Extra.</summary>
internal sealed class UploaderConfig
{
    public string Corepath { get; set; } = "/var/core";
    public string Outbox { get; set; } = "/var/lib/cdm/outbox";
    /// <summary>The outbox may hold at most this many bytes of reports; beyond it delivery waits (nothing is deleted).</summary>
    public long OutboxMaxBytes { get; set; } = 1L << 30;
    /// <summary>Free space a report written to the outbox must leave on its filesystem.</summary>
    public long OutboxKeepFreeBytes { get; set; } = 256L << 20;
    /// <summary>Hosts a [[server]] url may reach over plain http:// (everything else must be https).</summary>
    public List<string> AllowHttpHosts { get; set; } = [];
    public string StateDir { get; set; } = "/var/lib/cdm";
    /// <summary>Where cores are extracted for gdb; default &lt;state_dir&gt;/work. Only ever a folder the uploader
    /// created itself (WorkDir).</summary>
    public string? WorkDir { get; set; }
    public string LogFile { get; set; } = "/var/log/cdm-uploader.log";
    public string Gdb { get; set; } = "gdb";
    public int GdbTimeoutSeconds { get; set; } = 120;
    public int RunTimeoutSeconds { get; set; } = 900;
    /// <summary>Free space to leave on the work directory's filesystem after extracting a core.</summary>
    public long KeepFreeBytes { get; set; } = 256L << 20;
    /// <summary>Where to look for an executable cdm's metadata does not name (docs/uploader.md).</summary>
    public List<string> ExecutableSearchPath { get; set; } = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/libexec"];
    public List<ServerConfig> Server { get; set; } = [];
    // Analysis sandbox and report privacy (docs/uploader.md, "Trust boundary").
    /// <summary>Account (name or numeric uid) gdb runs as; never root or nobody.</summary>
    public string AnalysisUser { get; set; } = "cdm-analysis";
    /// <summary>RLIMIT_AS of gdb.</summary>
    public long AnalysisMemoryBytes { get; set; } = 2L << 30;
    /// <summary>RLIMIT_CPU of gdb.</summary>
    public int AnalysisCpuSeconds { get; set; } = 120;
    /// <summary>RLIMIT_NPROC of the analysis uid (threads count).</summary>
    public int AnalysisMaxProcesses { get; set; } = 64;
    /// <summary>RLIMIT_FSIZE: the most gdb may write (its output files).</summary>
    public long AnalysisOutputBytes { get; set; } = 64L << 20;
    /// <summary>frames | locals | full: what a report may contain (never the environment).</summary>
    public string ReportDetail { get; set; } = "frames";
    /// <summary>debuginfod servers to fetch debug info from by build-id, tried in order; empty (the default)
    /// fetches nothing. https, or http to a host in allow_http_hosts.</summary>
    public List<string> DebuginfodUrls { get; set; } = [];
    /// <summary>The largest debug file fetched; a longer one is cut off and not kept.</summary>
    public long DebuginfodMaxFileBytes { get; set; } = 256L << 20;
    /// <summary>The cache (&lt;state_dir&gt;/debuginfod) holds at most this much; least recently used files go first.</summary>
    public long DebuginfodCacheBytes { get; set; } = 1L << 30;
    /// <summary>The whole fetch step of one crash, every file and server together.</summary>
    public int DebuginfodTimeoutSeconds { get; set; } = 120;
    /// <summary>After a delivery, replace the archive by a copy without its core (metadata and report kept).</summary>
    public bool RemoveCoreAfterDelivery { get; set; }
    /// <summary>When set, every run/deliver pass writes &lt;dir&gt;/cdm.prom (node-exporter textfile).</summary>
    public string? PrometheusTextfileDir { get; set; }
    [TomlExtensionData] public Dictionary<string, object?>? Extra { get; set; }

    public string EffectiveWorkDir => WorkDir ?? DefaultWorkDir;
    public string DefaultWorkDir => Path.Combine(StateDir, "work");
    public string LockFile => Path.Combine(StateDir, "uploader.lock");

    public IEnumerable<string> UnknownKeys() =>
        (Extra?.Keys ?? Enumerable.Empty<string>()).Concat(Server.SelectMany((s, i) => (s.Extra?.Keys ?? Enumerable.Empty<string>()).Select(k => $"server[{i}].{k}")));
}

internal sealed class ServerConfig
{
    [TomlRequired] public string Url { get; set; } = "";
    /// <summary>"Name: value", e.g. "Authorization: Bearer abc".</summary>
    public string? AuthHeader { get; set; }
    public int TimeoutSeconds { get; set; } = 30;
    /// <summary>The older form of <see cref="Archive"/>: true = "always", false = "never".</summary>
    public bool? UploadArchive { get; set; }
    /// <summary>"never" | "always" | "on_request" (Delivery.ArchiveModes); unset = upload_archive, else "never".</summary>
    public string? Archive { get; set; }
    [TomlExtensionData] public Dictionary<string, object?>? Extra { get; set; }
}

[TomlSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[TomlSerializable(typeof(UploaderConfig))]
internal partial class UploaderTomlContext : TomlSerializerContext;
