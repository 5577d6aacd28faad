// cdm-uploader: turns captured archives into gdb reports and delivers them (docs/uploader.md).
using System.CommandLine;
using CoreDump.Uploader;
using CoreDump.Uploader.Commands;

var configOption = new Option<string?>("--config", "-c")
{
    Description = "Configuration file (default /etc/cdm/uploader.toml; a missing file means the built-in defaults)",
    HelpName = "file",
    Recursive = true,
};
var root = new RootCommand("CoreDump uploader: gdb reports, crash signatures and delivery of cdm's archives")
{
    configOption,
    RunCommand.Create(configOption),
    RunCommand.CreateAnalyze(configOption),
    RunCommand.CreateDeliver(configOption),
    ListCommand.Create(configOption),
    InfoCommand.Create(configOption),
    DebugCommand.Create(configOption),
    RetryCommand.Create(configOption),
    DumpCommand.Create(configOption),
    VacuumCommand.Create(configOption),
    StatusCommand.Create(configOption),
    DoctorCommand.Create(configOption),
    FetchSymbolsCommand.Create(configOption),
    InspectCoreCommand.Create(),
};
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (UploaderError e)
{
    Stderr.Say(e.Message);
    return e.ExitCode;
}
catch (Exception e)
{
    // commands turn every failure they expect into an UploaderError: reaching here is a defect
    Stderr.Say($"internal error: {e.GetType().Name}: {e.Message}");
    return ExitCodes.Software;
}
