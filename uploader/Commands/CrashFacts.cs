using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>The pid and executable of a crash for `list --pid/--exe`: from the metadata section of its report
/// when there is one (cheap), else from the archive's metadata.json (which cdm writes after the core, so the
/// whole archive is streamed). An archive that cannot be read matches nothing and is named on stderr.</summary>
internal static class CrashFacts
{
    public static (int? Pid, string? Executable) Of(ListEntry e, List<string> problems)
    {
        if (e.HasReport && ReadReport(e.Path + ".report") is { } report && MetadataSection(report) is { } json
            && MetadataView.Parse(json) is { Parsed: true } fromReport)
            return (fromReport.Pid, fromReport.ExecutablePath);
        try
        {
            var m = ArchiveMembers.Read(e.Path).Metadata;
            return (m.Pid, m.ExecutablePath);
        }
        catch (Exception x) when (x is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            problems.Add($"{e.Path}: {x.Message}");
            return (null, null);
        }
    }

    private static string? ReadReport(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            if (f.Length > 64 << 20) return null;
            return new StreamReader(f).ReadToEnd();
        }
        catch (Exception x) when (x is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The body of the report's "--- metadata ---" section (ReportText escapes any body line that would
    /// read as a heading, so the next "--- " line ends it).</summary>
    public static string? MetadataSection(string report)
    {
        const string Heading = "\n--- metadata ---\n";
        int start = report.IndexOf(Heading, StringComparison.Ordinal);
        if (start < 0) return null;
        start += Heading.Length;
        int end = report.IndexOf("\n--- ", start, StringComparison.Ordinal);
        return end < 0 ? report[start..] : report[start..end];
    }
}
