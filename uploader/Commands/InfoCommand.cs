using System.CommandLine;
using System.Text;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader info ARCHIVE`: the state, bookkeeping and report of one archive.</summary>
internal static class InfoCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var archive = new Argument<string>("archive") { Description = "Archive path, file name or report id" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (snake_case keys; the report as a string)" };
        var cmd = new Command("info", "Show one archive: state, delivery bookkeeping and its report" + InfoJson.Examples) { archive, json };
        cmd.SetAction(pr =>
        {
            var ctx = UploaderContext.Load(pr.GetValue(configOption));
            var a = ArchiveLookup.Get(ctx.Config.Corepath, pr.GetValue(archive)!);
            if (pr.GetValue(json)) return InfoJson.Print(a);
            var e = a.ToListEntry();
            var sb = new StringBuilder();
            sb.Append("archive: ").Append(a.Path).Append('\n')
              .Append("state: ").Append(e.State).Append(a.HasMarker ? "" : " (no marker: counts as pending)").Append('\n')
              .Append("size: ").Append(a.Size).Append('\n')
              .Append("report-id: ").Append(e.ReportId ?? "-").Append('\n')
              .Append("signature: ").Append(e.Signature ?? "-").Append('\n')
              .Append("attempts: ").Append(e.Attempts).Append('\n')
              .Append("next-attempt: ").Append(e.NextAttempt is long n ? UnixTime.Format(n, "u") : "-").Append('\n')
              .Append("last-error: ").Append(e.LastError ?? "-").Append('\n')
              .Append("delivered-to: ").Append(a.Marker.DeliveredTo ?? "-").Append('\n');
            if (ArchiveUploads.Describe(a.Marker) is { } upload)
                sb.Append("archive-upload: ").Append(a.Marker.ArchiveUpload).Append(" (").Append(upload).Append(")\n")
                  .Append("archive-detail: ").Append(a.Marker.ArchiveDetail ?? "-").Append('\n')
                  .Append("server-crash-id: ").Append(a.Marker.ServerCrashId ?? "-").Append('\n');
            Console.Write(sb.ToString());
            if (a.HasReport && File.Exists(a.ReportPath)) Console.Write("\n" + File.ReadAllText(a.ReportPath));
            else Console.WriteLine("report: (none yet)");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
