using System.Text.Json.Serialization;
using CoreDump.Uploader.Doctor;
using CoreDump.Uploader.Health;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Retention;

namespace CoreDump.Uploader.Commands;

/// <summary>The admin verbs' --json output: snake_case keys, nulls left out, like `list --json`.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<SignatureCount>))]
[JsonSerializable(typeof(InfoView))]
[JsonSerializable(typeof(HealthCounters))]
[JsonSerializable(typeof(VacuumReport))]
[JsonSerializable(typeof(DoctorReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

internal static class CliJson
{
    /// <summary>The admin verbs' JSON for people and scripts: text (a report, a path) with quotes, &lt;, &gt;, + and '
    /// as themselves rather than \u escapes; control characters are still escaped.</summary>
    public static CliJsonContext Context { get; } = new(new System.Text.Json.JsonSerializerOptions(CliJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
