using System.Text.Json;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>`info ARCHIVE --json`.</summary>
internal static class InfoJson
{
    public const string Examples = """


        ARCHIVE is a path, an archive file name, or a report id (or a prefix of at least 6 hex digits).
        Examples:
          cdm-uploader info crasher.1.1764590400.core.tar.gz
          cdm-uploader info 3f9c2a1b --json
        """;

    public static int Print(ArchiveRef a)
    {
        string? report = null;
        if (a.HasReport)
            try { report = File.ReadAllText(a.ReportPath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Stderr.Say($"{a.ReportPath}: {e.Message}"); }
        Console.WriteLine(JsonSerializer.Serialize(InfoView.Of(a, report), CliJson.Context.InfoView));
        return ExitCodes.Ok;
    }
}
