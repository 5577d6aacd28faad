using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace CoreDump.Uploader.Symbols;

/// <summary>The build-ids cdm recorded in an archive's metadata.json (`executable_build_id`, then each
/// `modules[].build_id`), for fetching before the analysis. The values came from the crashed process's memory:
/// the JSON is read tolerantly (depth 16, 1 MiB) and every string goes through <see cref="SymbolRules.Valid"/>
/// before it can become a URL or a file name; anything else is dropped and counted.</summary>
internal static class ArchiveBuildIds
{
    private const int MetadataMax = 1 << 20;

    /// <summary>The candidates in metadata.json <paramref name="json"/>: executable first, then modules; null
    /// entries for values that are present but not strings.</summary>
    public static List<string?> FromMetadata(string json)
    {
        var ids = new List<string?>();
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) return ids;
            if (r.TryGetProperty("executable_build_id", out var e)) ids.Add(e.ValueKind == JsonValueKind.String ? e.GetString() : null);
            if (r.TryGetProperty("modules", out var m) && m.ValueKind == JsonValueKind.Array)
                foreach (var mod in m.EnumerateArray().Take(4096))
                    if (mod.ValueKind == JsonValueKind.Object && mod.TryGetProperty("build_id", out var b))
                        ids.Add(b.ValueKind == JsonValueKind.String ? b.GetString() : null);
        }
        catch (JsonException) { }
        return ids;
    }

    /// <summary>metadata.json of the archive at <paramref name="path"/> (streamed, the core is skipped over), or "".</summary>
    public static string ReadMetadata(string path, CancellationToken ct)
    {
        using var file = File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            ct.ThrowIfCancellationRequested();
            if (entry.Name != "metadata.json" || entry.DataStream is null) continue;
            var buf = new byte[MetadataMax];
            int n = 0, r;
            while (n < buf.Length && (r = entry.DataStream.Read(buf, n, buf.Length - n)) > 0) n += r;
            return Encoding.UTF8.GetString(buf, 0, n);
        }
        return "";
    }
}
