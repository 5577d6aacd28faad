using System.Text.Json;
using System.Text.Json.Serialization;
using CoreDump.Metadata;

namespace CoreDump.Cdm.Publish;

/// <summary>metadata.json as cdm writes it: the same options as <see cref="MetadataJsonContext"/> (which the
/// uploader and the tests read it with; a test holds the two to the same output), generated for serialization
/// only, so writing it runs the generated writer without building the property metadata first.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(CaptureMetadata))]
internal sealed partial class MetadataWriterContext : JsonSerializerContext
{
    public static byte[] Serialize(CaptureMetadata metadata) => JsonSerializer.SerializeToUtf8Bytes(metadata, Default.CaptureMetadata);
}
