using System.Text.Json.Serialization;

namespace CoreDump.Metadata;

/// <summary>The metadata.json member of every archive (docs/archive-layout.md). Written last, when the
/// capture's outcome is known.</summary>
internal sealed record CaptureMetadata
{
    public int FormatVersion { get; init; } = 1;
    public string CdmVersion { get; init; } = "";
    /// <summary>argv as received, each byte outside printable ASCII as \xNN.</summary>
    public List<string> Argv { get; init; } = [];
    public string RawName { get; init; } = "";
    public string SafeName { get; init; } = "";
    /// <summary>The directory the crash was filed under: the process name, "@uid" for a non-root uid, and
    /// "~hash" of the executable unless it is a system program (docs/archive-layout.md).</summary>
    public string DaemonDir { get; init; } = "";
    /// <summary>The name and uid came from the core's own notes (false: from the arguments, with a warning).</summary>
    public bool IdentityVerified { get; init; }
    public int Slot { get; init; }
    /// <summary>The core's member name; null in a drop record.</summary>
    public string? CoreMember { get; init; }
    /// <summary>Set only in a drop record (a crash stored without its core): excluded, rlimit_core,
    /// not_dumpable, rate_limited, disk_guard or error.</summary>
    public string? DropReason { get; init; }
    public string? DropDetail { get; init; }
    public long CrashTime { get; init; }
    public bool CrashTimeFromArgs { get; init; }
    public DateTimeOffset CaptureStarted { get; init; }
    public DateTimeOffset CaptureFinished { get; init; }
    public Dictionary<string, string> Options { get; init; } = [];
    public string KernelRelease { get; init; } = "";
    public string Hostname { get; init; } = "";
    public long CoreBytesReceived { get; init; }
    public long CoreBytesStored { get; init; }
    public long? CoreBytesExpected { get; init; }
    public bool Truncated { get; init; }
    public string? TruncatedReason { get; init; }
    public bool IsElfCore { get; init; }
    /// <summary>The pid as the host sees it (%P, else the core's notes).</summary>
    public int? Pid { get; init; }
    /// <summary>The pid in the process's own PID namespace (%p, else the core's notes).</summary>
    public int? NamespacePid { get; init; }
    /// <summary>The crash came from another PID or mount namespace: its paths are that namespace's.</summary>
    public bool ForeignNamespace { get; init; }
    /// <summary>/proc/&lt;pid&gt;/cgroup of the crashed process, read while it waited for cdm.</summary>
    public string? Cgroup { get; init; }
    /// <summary>%d: 1 dumpable, 2 dumped under fs.suid_dumpable=2 (it changed credentials).</summary>
    public int? Dumpable { get; init; }
    public int? Signal { get; init; }
    public int? Uid { get; init; }
    public int? Gid { get; init; }
    public string? ProcessName { get; init; }
    public string? CommandLine { get; init; }
    public string? ExecutablePath { get; init; }
    public ulong? FaultAddress { get; init; }
    public int? Threads { get; init; }
    public List<string> MappedFiles { get; init; } = [];
    /// <summary>The GNU build-id of the executable, read from its ELF header in the core; null when the core
    /// holds none (built without one, its first page not dumped, or no core).</summary>
    public string? ExecutableBuildId { get; init; }
    /// <summary>Every mapped ELF module whose header the core holds, by load address, with its build-id.</summary>
    public List<MappedModule>? Modules { get; init; }
    public int SuppressedSinceLast { get; init; }
    public List<string> Warnings { get; init; } = [];
}

/// <summary>An ELF file mapped into the crashed process from file offset 0 at <see cref="Start"/> (its load
/// address), as the core's NT_FILE note names it.</summary>
internal sealed record MappedModule
{
    public string Path { get; init; } = "";
    public ulong Start { get; init; }
    /// <summary>Lowercase hex; null when the header in the core carries no GNU build-id note.</summary>
    public string? BuildId { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CaptureMetadata))]
internal sealed partial class MetadataJsonContext : JsonSerializerContext;
