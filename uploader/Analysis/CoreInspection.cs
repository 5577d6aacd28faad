using System.Text.Json;
using System.Text.Json.Serialization;

namespace CoreDump.Uploader.Analysis;

/// <summary>The build-id of one candidate executable (a private copy named <see cref="File"/>), or why there is none.</summary>
internal sealed record CandidateBuildId(string File, string? BuildId, string? Problem);

/// <summary>What `cdm-uploader inspect-core` prints: the facts of the core (<see cref="CoreFacts.Read"/>) and the
/// build-id of each candidate file, parsed inside the analysis sandbox by the analysis uid. <see cref="Uid"/> is
/// the effective uid the parse ran as. The root side parses only this JSON, and only compares its strings.</summary>
internal sealed record CoreInspection
{
    public uint Uid { get; init; }
    public CoreFacts? Core { get; init; }
    public List<CandidateBuildId> Candidates { get; init; } = [];

    /// <summary>The one-line JSON document the verb prints.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AnalysisJsonContext.Default.CoreInspection);

    /// <summary>Reads the verb's output and checks it answers the question asked: a core section when a core was
    /// given, and exactly the candidates given, in order. Null with <paramref name="problem"/> otherwise.</summary>
    public static CoreInspection? Parse(string json, bool coreAsked, IReadOnlyList<string> candidatesAsked, out string? problem)
    {
        CoreInspection? r;
        try { r = JsonSerializer.Deserialize(json, AnalysisJsonContext.Default.CoreInspection); }
        catch (JsonException e) { problem = $"its output is not the expected JSON ({e.Message})"; return null; }
        problem = r switch
        {
            null => "its output is empty or null",
            { Core: null } when coreAsked => "its output holds no core facts",
            _ when r.Candidates.Count != candidatesAsked.Count || r.Candidates.Where((c, i) => c.File != candidatesAsked[i]).Any() =>
                "its output does not answer for the candidate files given",
            _ => null,
        };
        return problem is null ? r : null;
    }

    /// <summary>A build-id as the readers produce it (lowercase hex of 4 to 64 bytes); anything else is no build-id.</summary>
    public static bool IsBuildId(string? s) =>
        s is { Length: >= 8 and <= 128 } && s.Length % 2 == 0 && s.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 16)]
[JsonSerializable(typeof(CoreInspection))]
internal sealed partial class AnalysisJsonContext : JsonSerializerContext;
