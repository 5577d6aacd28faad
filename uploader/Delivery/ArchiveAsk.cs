using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CoreDump.Uploader.Delivery;

/// <summary>The JSON a crash database may answer a report with (docs/crashdb-protocol.md):
/// {"archive": "wanted" | "not_needed", "id": "&lt;its crash id&gt;"}. Other members are ignored: in particular
/// nothing in an answer can name where the archive goes (it goes to the server's configured url only).</summary>
internal sealed record CrashDbAnswer
{
    public string? Archive { get; init; }
    public string? Id { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, MaxDepth = 8)]
[JsonSerializable(typeof(CrashDbAnswer))]
internal sealed partial class CrashDbJsonContext : JsonSerializerContext;

/// <summary>What a crash database said about the archive in its 2xx answer to a report, and why.</summary>
/// <param name="ServerCrashId">The answer's "id" when it is a plain token (kept in the marker for the admin), else null.</param>
/// <param name="Understood">The answer followed the protocol (or had no body, as a server that does not know it
/// answers); false for an answer of another type, malformed, oversized or with an unknown value (logged as a warning).</param>
internal sealed record ArchiveAsk(bool Wanted, string Reason, string? ServerCrashId = null, bool Understood = false);

internal static class ArchiveAsks
{
    /// <summary>The most of an answer read; a longer one is not parsed at all (archive not sent).</summary>
    public const int MaxAnswerBytes = 64 * 1024;
    public const string Wanted = "wanted", NotNeeded = "not_needed";

    /// <summary>Reads a 2xx answer to a report: <paramref name="mediaType"/> is its Content-Type without parameters
    /// (null when absent), <paramref name="body"/> at most <see cref="MaxAnswerBytes"/> bytes of it, and
    /// <paramref name="truncated"/> says there was more. Only {"archive": "wanted"} in an application/json answer
    /// asks for the archive; anything else (no body, another type, malformed or oversized JSON, another value)
    /// does not, with the reason. A pure decision.</summary>
    public static ArchiveAsk Read(string? mediaType, ReadOnlySpan<byte> body, bool truncated)
    {
        if (truncated) return new(false, $"the answer is larger than {MaxAnswerBytes} bytes: not read, archive not sent");
        if (body.IsEmpty) return new(false, "the answer has no body: the server did not ask for the archive", Understood: true);
        if (!string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
            return new(false, $"the answer is {(mediaType is null ? "without Content-Type" : Printable(mediaType))}, not application/json: archive not sent");
        CrashDbAnswer? answer;
        try { answer = JsonSerializer.Deserialize(body, CrashDbJsonContext.Default.CrashDbAnswer); }
        catch (JsonException e) { return new(false, $"the answer is not the expected JSON ({Printable(e.Message)}): archive not sent"); }
        if (answer is null) return new(false, "the answer is JSON null: archive not sent");
        string? id = CrashIdOrNull(answer.Id);
        return answer.Archive switch
        {
            Wanted => new(true, "the server asked for the archive", id, Understood: true),
            NotNeeded => new(false, "the server does not need the archive", id, Understood: true),
            null => new(false, "the answer has no \"archive\" member: archive not sent", id),
            var other => new(false, $"the answer's \"archive\" is '{Printable(other)}', neither \"{Wanted}\" nor \"{NotNeeded}\": archive not sent", id),
        };
    }

    /// <summary>A server's crash id is kept only as a plain token: 1 to 128 of [A-Za-z0-9._:-].</summary>
    public static string? CrashIdOrNull(string? id) =>
        id is { Length: > 0 and <= 128 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-') ? id : null;

    /// <summary>Text from a server for the log and the marker: printable ASCII only, at most 80 characters.</summary>
    public static string Printable(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, 80));
        foreach (char c in s)
        {
            if (sb.Length >= 80) { sb.Append('…'); break; }
            sb.Append(c is >= ' ' and <= '~' ? c : '?');
        }
        return sb.ToString();
    }
}
