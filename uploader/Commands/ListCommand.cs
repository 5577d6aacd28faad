using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CoreDump.Store;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader list [--daemon D] [--state S] [--signature SIG] [--json]` and the options of ListOptions.</summary>
internal static class ListCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array (snake_case keys)" };
        var daemon = new Option<string?>("--daemon", "-d") { Description = "Only this daemon (directory name)", HelpName = "name" };
        var state = new Option<string?>("--state", "-s") { Description = "Only this state: " + string.Join(", ", ArchiveStates.Names), HelpName = "state" };
        var signature = new Option<string?>("--signature") { Description = "Only crashes with this signature (prefix)", HelpName = "hex" };
        state.AcceptOnlyFromAmong([.. ArchiveStates.Names]);
        var more = new ListOptions();
        var cmd = new Command("list", "List captured crashes: time, daemon, slot, signal, size, state, signature" + ListOptions.Examples) { json, daemon, state, signature };
        more.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            var ctx = UploaderContext.Load(pr.GetValue(configOption));
            if (more.Filter(pr, pr.GetValue(daemon), pr.GetValue(state), pr.GetValue(signature)) is not { } filter) return ExitCodes.Usage;
            var problems = new List<string>();
            var rows = filter.Apply(ArchiveScanner.Scan(ctx.Config.Corepath, problems).Select(a => a.ToListEntry()), e => CrashFacts.Of(e, problems));
            foreach (var p in problems) Stderr.Say(p);
            if (pr.GetValue(more.BySignature)) ListOptions.PrintBySignature(SignatureTally.Count(rows), pr.GetValue(json));
            else if (pr.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(rows, UploadJsonContext.Default.ListListEntry));
            else PrintTable(rows);
            return problems.Count > 0 ? ExitCodes.IoErr : ExitCodes.Ok;
        });
        return cmd;
    }

    private static void PrintTable(List<ListEntry> rows)
    {
        const string Format = "{0,-20} {1,-16} {2,4} {3,-8} {4,10} {5,-10} {6}";
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Format, "TIME (UTC)", "DAEMON", "SLOT", "SIGNAL", "SIZE", "STATE", "SIGNATURE"));
        foreach (var e in rows)
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Format,
                UnixTime.Format(e.Time, "yyyy-MM-dd HH:mm:ss"),
                e.Daemon, e.Slot, e.SignalName ?? "-", e.Size, e.State, e.Signature ?? "-") + ArchiveNote(e.ArchiveUpload));
    }

    /// <summary>Two-stage delivery: an archive the server asked for and did not get yet, or refused, is named
    /// after the signature (the report itself is delivered).</summary>
    private static string ArchiveNote(string? upload) => upload switch
    {
        ArchiveUploads.Wanted => "  (report delivered; archive requested, not uploaded yet)",
        ArchiveUploads.Refused => "  (archive refused by the server)",
        _ => "",
    };
}
