using CoreDump.Cdm;
using CoreDump.Cdm.Intake;
using CoreDump.Cdm.Policy;
using CoreDump.Cdm.Slots;
using CoreDump.Native;

// cdm: the kernel's core_pattern pipe helper. Never writes to the console: fds 1 and 2 may be anything.
// CDM_CONFIG and CDM_OS_RELEASE override the two input paths (the kernel passes an empty environment, so
// only an administrator or a test can set them; no argument can, because %e is the attacker's).
_ = CdmClock.StartedAt; // the time cap counts from here
_ = Posix.Umask(FileModes.Umask027); // archives, markers and logs are never world-readable (the old mask is of no use)
var log = new CaptureLog();
var config = CoreFileConfig.Defaults;
try
{
    long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    var invocation = InvocationParser.Parse(HostFacts.RawArguments(), now);
    string configPath = Environment.GetEnvironmentVariable("CDM_CONFIG") ?? CoreFileConfig.DefaultPath;
    var parsed = CoreFileConfigParser.Parse(ReadConfig(configPath, out string? configProblem));
    config = parsed.Config;
    var warnings = configProblem is null ? parsed.Warnings : [configProblem, .. parsed.Warnings];
    using var stdin = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: true), FileAccess.Read, 0);
    int rc = new CaptureRun(invocation, config, warnings, log).Run(stdin, Environment.GetEnvironmentVariable("CDM_OS_RELEASE"));
    log.WriteTo(config.LogFile);
    return rc;
}
catch (Exception e)
{
    log.Warn($"cdm failed: {e}");
    log.WriteTo(config.LogFile);
    return 2;
}

static string? ReadConfig(string path, out string? problem)
{
    problem = null;
    try
    {
        var info = new FileInfo(path);
        if (!info.Exists) { problem = $"{path} not found; using defaults"; return null; }
        if (info.Length > 64 * 1024) { problem = $"{path} is larger than 64 KiB; using defaults"; return null; }
        return File.ReadAllText(path);
    }
    catch (Exception e) { problem = $"{path} unreadable ({e.Message}); using defaults"; return null; }
}
