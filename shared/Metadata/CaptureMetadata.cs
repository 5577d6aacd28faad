using System.Text.Json.Serialization;

namespace CoreDump.Metadata;

/// <summary>The metadata.json member of every archive (docs/archive-layout.md). Written last, when the
/// capture's outcome is known.</summary>
public sealed record CaptureMetadata
{
    public int FormatVersion { get; init; } = 1;
    public string CdmVersion { get; init; } = "";
    /// <summary>argv as received, each byte outside printable ASCII as \xNN.</summary>
    public List<string> Argv { get; init; } = [];
    public string RawName { get; init; } = "";
    public string SafeName { get; init; } = "";
    public int Slot { get; init; }
    public string CoreMember { get; init; } = "";
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
    public int? Pid { get; init; }
    public int? Signal { get; init; }
    public int? Uid { get; init; }
    public int? Gid { get; init; }
    public string? ProcessName { get; init; }
    public string? CommandLine { get; init; }
    public string? ExecutablePath { get; init; }
    public ulong? FaultAddress { get; init; }
    public int? Threads { get; init; }
    public List<string> MappedFiles { get; init; } = [];
    public int SuppressedSinceLast { get; init; }
    public List<string> Warnings { get; init; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CaptureMetadata))]
public sealed partial class MetadataJsonContext : JsonSerializerContext;
