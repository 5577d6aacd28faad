using CoreDump.Store;
using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Markers;
using Serilog;

namespace CoreDump.Uploader.Retention;

/// <summary>`remove_core_after_delivery = true`: once a report is delivered (submitted), the archive is replaced
/// by a copy without the core; os-release, metadata.json, the marker and the report stay. Run after each
/// delivery pass, so a pass killed between delivery and removal is finished by the next one.</summary>
internal static class CoreRemoval
{
    /// <summary>The archives whose core may go: delivered, and not a drop record (which has none). Whether the
    /// core is still there is read from the archive itself (<see cref="ArchiveMembers.HasCore"/>).</summary>
    public static IEnumerable<ArchiveRef> Candidates(IEnumerable<ArchiveRef> archives) =>
        archives.Where(a => a.State == ArchiveState.Submitted && !a.Name.Drop);

    /// <summary>Strips every delivered archive that still has its core; returns how many. Each failure is logged
    /// and left for the next pass.</summary>
    public static int Run(string corePath, ILogger log)
    {
        int done = 0;
        foreach (var a in Candidates(ArchiveScanner.Scan(corePath, new List<string>())))
        {
            try
            {
                if (!ArchiveMembers.HasCore(a.Path)) continue;
                if (ArchiveRemover.RemoveCore(a, out var error) is long freed)
                {
                    done++;
                    log.Information("{Archive}: core removed after delivery ({Freed} bytes freed; metadata and report kept)", a.Path, freed);
                }
                else log.Warning("{Archive}: core not removed: {Error}", a.Path, error);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                log.Warning("{Archive}: core not removed: {Error}", a.Path, e.Message);
            }
        }
        return done;
    }
}
