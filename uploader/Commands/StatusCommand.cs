using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CoreDump.Uploader.Health;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader status [--json] [--textfile DIR]`: health counters from what is on disk; with --textfile also
/// DIR/cdm.prom for node-exporter's textfile collector. Read-only apart from that file.</summary>
internal static class StatusCommand
{
    private const string Help = """
        Health counters: captured, dropped by reason, suppressed, delivered, rejected, waiting, failed, oldest waiting

        Counted from the markers, drop records and .ratelimit files under corepath and from the outbox: what is
        on disk now. With --textfile DIR the same figures are written to DIR/cdm.prom (Prometheus text format,
        cdm_* gauges, written atomically) for node-exporter's textfile collector; the config key
        prometheus_textfile_dir makes every run/deliver pass write it.
        Exit codes: 0 done; 73 the textfile cannot be written; 74 a directory under corepath could not be read.
        Examples:
          cdm-uploader status
          cdm-uploader status --json
          cdm-uploader status --textfile /var/lib/prometheus/node-exporter
        """;

    public static Command Create(Option<string?> configOption)
    {
        var json = new Option<bool>("--json") { Description = "Print the counters as JSON" };
        var textfile = new Option<string?>("--textfile") { Description = "Also write DIR/cdm.prom (Prometheus node-exporter textfile)", HelpName = "dir" };
        var cmd = new Command("status", Help) { json, textfile };
        cmd.SetAction(pr =>
        {
            var ctx = UploaderContext.Load(pr.GetValue(configOption));
            var h = HealthCollector.Collect(ctx.Config, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            if (pr.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(h, CliJson.Context.HealthCounters));
            else Console.Write(Text(h));
            foreach (var p in h.Problems) Stderr.Say($"{p}");
            if (pr.GetValue(textfile) is { } dir)
            {
                try { PrometheusText.WriteTextfile(dir, PrometheusText.Format(h)); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Stderr.Say($"cannot write {Path.Combine(dir, PrometheusText.FileName)}: {e.Message}");
                    return ExitCodes.CantCreate;
                }
            }
            return h.Problems.Count > 0 ? ExitCodes.IoErr : ExitCodes.Ok;
        });
        return cmd;
    }

    public static string Text(HealthCounters h)
    {
        var sb = new StringBuilder();
        void Line(string k, string v) => sb.Append(CultureInfo.InvariantCulture, $"{k,-16}{v}\n");
        string States(SortedDictionary<string, int> d) => string.Join(", ", HealthCounters.States.Select(s => $"{s} {d.GetValueOrDefault(s)}"));
        Line("captured:", $"{h.Captured} core archive(s) ({States(h.CoreArchivesByState)})");
        Line("dropped:", $"{h.DropRecords} drop record(s)" + (h.DropRecords > 0 ? " (" + string.Join(", ", h.DroppedByReason.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}")) + ")" : ""));
        Line("suppressed:", $"{h.Suppressed} in the current crash-loop windows");
        Line("delivered:", h.Delivered.ToString(CultureInfo.InvariantCulture));
        Line("rejected:", h.Rejected.ToString(CultureInfo.InvariantCulture));
        Line("waiting:", $"{h.Waiting} ({h.Failed} failed at least once)");
        Line("oldest waiting:", h.OldestWaitingTime is long t ? $"{UnixTime.Format(t, "yyyy-MM-dd HH:mm:ss")} UTC ({h.OldestWaitingAgeSeconds} s ago)" : "-");
        int Uploads(string value) => h.ArchiveUploads.GetValueOrDefault(value);
        Line("archives sent:", $"uploaded on request {Uploads(ArchiveUploads.Uploaded)}, not requested {Uploads(ArchiveUploads.NotRequested)}, " +
            $"requested and waiting {Uploads(ArchiveUploads.Wanted)}, refused {Uploads(ArchiveUploads.Refused)}, with the report {Uploads(ArchiveUploads.WithReport)}");
        Line("archive bytes:", h.ArchiveBytes.ToString(CultureInfo.InvariantCulture));
        Line("outbox:", $"{h.OutboxReports} report(s), {h.OutboxBytes} bytes");
        return sb.ToString();
    }
}
