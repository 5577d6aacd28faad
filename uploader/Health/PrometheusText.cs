using System.Globalization;
using System.Text;

namespace CoreDump.Uploader.Health;

/// <summary>The health counters in the Prometheus text exposition format, for node-exporter's textfile
/// collector: every metric with HELP and TYPE (all gauges: they describe what is on disk now), every label
/// combination always present (0 when empty) so a series never disappears.</summary>
internal static class PrometheusText
{
    public const string FileName = "cdm.prom";

    public static string Format(HealthCounters h)
    {
        var sb = new StringBuilder();
        void Metric(string name, string help, IEnumerable<(string Labels, long Value)> samples)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(" gauge\n");
            foreach (var (labels, value) in samples)
                sb.Append(name).Append(labels.Length > 0 ? "{" + labels + "}" : "").Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        void One(string name, string help, long value) => Metric(name, help, [("", value)]);

        Metric("cdm_archives", "Archives kept under corepath, by kind (core: a captured core; drop: a crash stored without core) and state.",
            h.CoreArchivesByState.Select(kv => ($"kind=\"core\",state=\"{Escape(kv.Key)}\"", (long)kv.Value))
                .Concat(h.DropRecordsByState.Select(kv => ($"kind=\"drop\",state=\"{Escape(kv.Key)}\"", (long)kv.Value))));
        One("cdm_captured_archives", "Core archives kept under corepath.", h.Captured);
        Metric("cdm_drop_records", "Drop records kept under corepath (crashes cdm did not store a core of), by reason.",
            h.DroppedByReason.Select(kv => ($"reason=\"{Escape(kv.Key)}\"", (long)kv.Value)));
        One("cdm_suppressed_crashes", "Crashes the crash-loop limit suppressed in each daemon's current window.", h.Suppressed);
        One("cdm_reports_delivered", "Archives whose report a crash database (or the outbox) accepted.", h.Delivered);
        One("cdm_reports_rejected", "Archives whose report every crash database refused permanently.", h.Rejected);
        One("cdm_reports_waiting", "Archives not delivered yet (pending or processed).", h.Waiting);
        One("cdm_reports_failed", "Waiting archives whose last analysis or delivery attempt failed.", h.Failed);
        One("cdm_oldest_waiting_crash_timestamp_seconds", "Crash time of the oldest archive not delivered yet (0: none).", h.OldestWaitingTime ?? 0);
        Metric("cdm_archive_uploads", "Archives by what became of the archive itself: sent with its report, requested by the crash database and waiting, uploaded on request, not requested, refused.",
            h.ArchiveUploads.Select(kv => ($"status=\"{Escape(kv.Key)}\"", (long)kv.Value)));
        One("cdm_archive_bytes", "Bytes of archives with their reports and markers under corepath.", h.ArchiveBytes);
        One("cdm_outbox_reports", "Reports in the outbox.", h.OutboxReports);
        One("cdm_outbox_bytes", "Bytes of reports in the outbox.", h.OutboxBytes);
        One("cdm_status_problems", "Directories under corepath that could not be read.", h.Problems.Count);
        One("cdm_status_timestamp_seconds", "When these figures were computed.", h.GeneratedAt);
        return sb.ToString();
    }

    /// <summary>A label value as the exposition format needs it: backslash, double quote and newline escaped.</summary>
    public static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>Writes DIR/cdm.prom atomically (a new hidden temporary, fsync, rename), so the collector never
    /// reads half a file; a symlink at the name is replaced, not followed. Mode 0644.</summary>
    public static void WriteTextfile(string dir, string text)
    {
        string target = Path.Combine(dir, FileName);
        string tmp = Path.Combine(dir, $".{FileName}.{Environment.ProcessId}.tmp");
        try
        {
            using (var f = new FileStream(tmp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            }))
            {
                f.Write(Encoding.UTF8.GetBytes(text));
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, target, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}
