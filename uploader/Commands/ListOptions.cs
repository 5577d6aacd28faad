using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>`list`'s selection and the by-signature view: --since/--until, -n, --pid, --exe, --by-signature.</summary>
internal sealed class ListOptions
{
    public const string Examples = """


        Times: unix seconds, ISO-8601 (UTC unless an offset is given), -N{s,m,h,d,w}, "N{s,m,h,d,w} ago", now, today, yesterday.
        Examples:
          cdm-uploader list --since -2h
          cdm-uploader list --since 2026-12-01 --until 2026-12-02T12:00Z --exe '*/sbin/*' --json
          cdm-uploader list -n 5 --pid 4242
          cdm-uploader list --by-signature        (top crashers: occurrences per signature)
        """;

    public Option<string?> Since { get; } = new("--since", "-S") { Description = "Only crashes at or after this time", HelpName = "time" };
    public Option<string?> Until { get; } = new("--until", "-U") { Description = "Only crashes at or before this time", HelpName = "time" };
    public Option<int?> Last { get; } = new("--last", "-n") { Description = "Only the newest N crashes (of those that match)", HelpName = "N" };
    public Option<int?> Pid { get; } = new("--pid") { Description = "Only crashes of this (host) pid, from the metadata", HelpName = "pid" };
    public Option<string?> Exe { get; } = new("--exe", "-e")
    {
        Description = "Only crashes whose executable path matches this glob (* and ?; without a / the base name is matched)", HelpName = "glob",
    };
    public Option<bool> BySignature { get; } = new("--by-signature", "--top")
    {
        Description = "Occurrences per crash signature, most frequent first (top crashers)",
    };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Since, Until, Last, Pid, Exe, BySignature }) cmd.Options.Add(o);
    }

    /// <summary>The filter the command line asks for; null (message printed, caller exits 64) on a bad value.</summary>
    public ArchiveFilter? Filter(ParseResult pr, string? daemon, string? state, string? signature)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long? since = null, until = null;
        foreach (var (option, name) in new[] { (Since, "--since"), (Until, "--until") })
        {
            if (pr.GetValue(option) is not { } text) continue;
            if (TimeSpec.Parse(text, now, out var error) is not long t) { Stderr.Say($"{name}: {error}"); return null; }
            if (option == Since) since = t; else until = t;
        }
        if (pr.GetValue(Last) is < 0) { Stderr.Say("-n: must be 0 or more"); return null; }
        return new ArchiveFilter
        {
            Daemon = daemon, State = state, Signature = signature, Since = since, Until = until,
            Last = pr.GetValue(Last), Pid = pr.GetValue(Pid), Executable = pr.GetValue(Exe),
        };
    }

    public static void PrintBySignature(List<SignatureCount> rows, bool json)
    {
        if (json) { Console.WriteLine(JsonSerializer.Serialize(rows, CliJson.Context.ListSignatureCount)); return; }
        const string Format = "{0,6} {1,-32} {2,-8} {3,-20} {4,-20} {5}";
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Format, "COUNT", "SIGNATURE", "SIGNAL", "FIRST (UTC)", "LAST (UTC)", "DAEMONS"));
        foreach (var r in rows)
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Format, r.Count, r.Signature ?? "(not analysed yet)", r.SignalName ?? "-",
                UnixTime.Format(r.FirstTime, "yyyy-MM-dd HH:mm:ss"), UnixTime.Format(r.LastTime, "yyyy-MM-dd HH:mm:ss"), string.Join(',', r.Daemons)));
    }
}
