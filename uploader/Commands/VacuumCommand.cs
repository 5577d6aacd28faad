using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CoreDump.Uploader.Markers;
using CoreDump.Uploader.Retention;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader vacuum [--older-than AGE] [--max-size SIZE] [--force] [--dry-run] [--json]`: removes archives
/// (with marker and report) by age and by total size, oldest crash first; archives whose report waits for
/// delivery are kept unless --force. Takes the run lock, so it never races a pass.</summary>
internal static class VacuumCommand
{
    private const string Help = """
        Remove old archives (with their marker and report) by age and by total size, oldest crash first

        Archives whose report is not delivered yet (pending, processed) are never removed unless --force;
        rejected ones are removable. The outbox is not touched (whoever collects the reports frees it).
        AGE: N{s,m,h,d,w} (30d); SIZE: bytes or K/M/G/T (10G).
        Exit codes: 0 done (also when undelivered archives kept the total above --max-size: said on stderr);
        64 a bad or missing rule; 74 a removal failed; 75 another run holds the lock.
        Examples:
          cdm-uploader vacuum --older-than 30d --dry-run
          cdm-uploader vacuum --max-size 10G
          cdm-uploader vacuum --older-than 7d --max-size 2G --force --json
        """;

    public static Command Create(Option<string?> configOption)
    {
        var olderThan = new Option<string?>("--older-than") { Description = "Remove archives whose crash is older than AGE (e.g. 30d, 12h)", HelpName = "age" };
        var maxSize = new Option<string?>("--max-size") { Description = "Then remove the oldest until archives and reports total at most SIZE (e.g. 10G)", HelpName = "size" };
        var keep = new Option<bool>("--keep-undelivered") { Description = "Never remove an archive whose report waits for delivery (default true)", DefaultValueFactory = _ => true };
        var force = new Option<bool>("--force") { Description = "Also remove archives whose report is not delivered yet" };
        var dryRun = new Option<bool>("--dry-run", "-N") { Description = "Only show what would be removed" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var cmd = new Command("vacuum", Help) { olderThan, maxSize, keep, force, dryRun, json };
        cmd.SetAction(pr =>
        {
            var ctx = UploaderContext.Load(pr.GetValue(configOption));
            long? age = null, max = null;
            if (pr.GetValue(olderThan) is { } a)
            {
                if (!TimeSpec.Duration(a, out long s, out var e)) { Stderr.Say($"--older-than: {e}"); return ExitCodes.Usage; }
                age = s;
            }
            if (pr.GetValue(maxSize) is { } m)
            {
                if (TimeSpec.Size(m, out var e) is not long b) { Stderr.Say($"--max-size: {e}"); return ExitCodes.Usage; }
                max = b;
            }
            if (age is null && max is null) { Stderr.Say("vacuum needs --older-than AGE and/or --max-size SIZE"); return ExitCodes.Usage; }
            bool dry = pr.GetValue(dryRun);
            using var held = dry ? null : RunLock.Acquire(ctx.Config.StateDir);

            var problems = new List<string>();
            var items = ArchiveRemover.Items(ctx.Config.Corepath, problems);
            var rules = new VacuumRules { OlderThanSeconds = age, MaxBytes = max, KeepUndelivered = pr.GetValue(keep) && !pr.GetValue(force) };
            var plan = VacuumPlan.Plan(items.Select(i => i.Item), rules, DateTimeOffset.UtcNow.ToUnixTimeSeconds()) with { DryRun = dry };
            var errors = new List<string>(problems);
            if (!dry)
            {
                var byPath = items.ToDictionary(i => i.Item.Path, i => i.Archive);
                foreach (var r in plan.Removed)
                    if (ArchiveRemover.Remove(byPath[r.Path]) is { } error) errors.Add(error);
                plan = plan with { Errors = errors };
            }
            Print(plan, pr.GetValue(json));
            foreach (var e in errors) Stderr.Say($"{e}");
            if (plan.OverMaxBytes > 0)
                Stderr.Say($"still {plan.OverMaxBytes} bytes above --max-size: {plan.KeptUndelivered.Count} undelivered archive(s) kept (deliver them, or --force)");
            return errors.Count > 0 ? ExitCodes.IoErr : ExitCodes.Ok;
        });
        return cmd;
    }

    private static void Print(VacuumReport plan, bool json)
    {
        if (json) { Console.WriteLine(JsonSerializer.Serialize(plan, CliJson.Context.VacuumReport)); return; }
        string verb = plan.DryRun ? "would remove" : "removed";
        foreach (var r in plan.Removed)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {r.Path} ({r.Bytes} bytes, {r.State}): {r.Reason}"));
        foreach (var k in plan.KeptUndelivered) Console.WriteLine($"kept {k}: its report is not delivered yet");
        long freed = plan.TotalBytesBefore - plan.TotalBytesAfter;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"uploader vacuum: {verb} {plan.Removed.Count} archive(s), {freed} bytes; {plan.TotalBytesAfter} bytes left{(plan.DryRun ? " (dry run)" : "")}"));
    }
}
