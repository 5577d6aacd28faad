using System.Text.Json;
using System.Text.Json.Serialization;

namespace CoreDump.Uploader.Markers;

/// <summary>The uploader's bookkeeping inside a state marker (docs/markers.md). Every field is optional:
/// cdm writes the pending marker empty, and an empty or unreadable marker reads as an empty record.</summary>
internal sealed record MarkerInfo
{
    public string? ReportId { get; init; }
    public string? Signature { get; init; }
    public int? Signal { get; init; }
    /// <summary>Failed delivery (or processing) attempts so far; 0 = never failed.</summary>
    public int Attempts { get; init; }
    /// <summary>Unix time before which no new attempt is made (backoff); null = due now.</summary>
    public long? NextAttempt { get; init; }
    public long? LastAttempt { get; init; }
    public string? LastError { get; init; }
    public string? DeliveredTo { get; init; }
    public long? DeliveredAt { get; init; }
    /// <summary>What became of the archive itself (<see cref="ArchiveUploads"/>); null when it never goes on its own.</summary>
    public string? ArchiveUpload { get; init; }
    /// <summary>Why the archive was or was not sent (the server's answer, a refusal), one bounded line.</summary>
    public string? ArchiveDetail { get; init; }
    public long? ArchiveUploadedAt { get; init; }
    /// <summary>The crash database's own id for the report, when its answer named one.</summary>
    public string? ServerCrashId { get; init; }

    public static MarkerInfo Parse(ReadOnlySpan<byte> json)
    {
        if (json.Trim((byte)' ').IsEmpty) return new MarkerInfo();
        try { return JsonSerializer.Deserialize(json, UploadJsonContext.Default.MarkerInfo) ?? new MarkerInfo(); }
        catch (JsonException) { return new MarkerInfo(); }
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, UploadJsonContext.Default.MarkerInfo);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(MarkerInfo))]
[JsonSerializable(typeof(List<ListEntry>))]
internal sealed partial class UploadJsonContext : JsonSerializerContext;
