using System.CommandLine;
using System.Text.Json;
using CoreDump.Uploader.Config;
using CoreDump.Uploader.Doctor;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader doctor [--json]`: checks the machine's crash-capture settings and names what is wrong and
/// how to fix it. Read-only: it never writes /proc/sys or anything else. The hidden --root reads another tree
/// (DIR/proc/sys/..., DIR/etc/...) instead of "/", for tests.</summary>
internal static class DoctorCommand
{
    private const string Help = """
        Check this machine's crash-capture settings; name what is wrong and how to fix it (read-only)

        Checks: the uploader config parses; core_pattern pipes to cdm with %e %t first (now and after a reboot,
        from the sysctl.d files); core_pipe_limit; fs.suid_dumpable=2; no other handler (apport, ABRT,
        systemd-coredump) enabled; the cdm binary exists and is root-owned; gdb is present; corepath is the same
        for cdm and the uploader, root-owned, not group/other-writable; free space above keepfree; the analysis
        user exists. doctor changes nothing: every fix is printed for an admin to apply.
        Exit codes: 0 every check passed (warnings allowed); 1 at least one check failed.
        Examples:
          cdm-uploader doctor
          cdm-uploader doctor --json
        """;

    public static Command Create(Option<string?> configOption)
    {
        var json = new Option<bool>("--json") { Description = "Print the checks as JSON" };
        var root = new Option<string?>("--root") { Description = "Read this tree instead of / (tests)", HelpName = "dir", Hidden = true };
        var cmd = new Command("doctor", Help) { json, root };
        cmd.SetAction(pr =>
        {
            string r = pr.GetValue(root) is { } dir ? Path.GetFullPath(dir) : "/";
            string configPath = pr.GetValue(configOption) ?? Path.Combine(r, ConfigLoader.DefaultPath.TrimStart('/'));
            var checks = DoctorChecks.All(MachineReader.Read(r, configPath));
            var report = DoctorChecks.Report(checks);
            if (pr.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Context.DoctorReport));
            else
            {
                foreach (var c in checks)
                {
                    string tag = c.Status switch { CheckStatus.Ok => "ok  ", CheckStatus.Warn => "warn", _ => "FAIL" };
                    Console.WriteLine($"{tag} {c.Name}: {c.Detail}");
                    if (c.Fix is not null && c.Status != CheckStatus.Ok) Console.WriteLine($"     fix: {c.Fix}");
                }
                Console.WriteLine($"uploader doctor: {checks.Count} checks, {report.Failed} failed, {report.Warnings} warning(s)");
            }
            return report.Failed > 0 ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return cmd;
    }
}
