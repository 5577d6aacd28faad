using System.Text.Json.Serialization;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>The admin verbs' --json output: snake_case keys, nulls left out, like `list --json`.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<SignatureCount>))]
[JsonSerializable(typeof(InfoView))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
