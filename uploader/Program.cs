// The uploader: turns captured archives into gdb reports and delivers them (issue 3, docs/uploader.md).
using System.CommandLine;
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
    InspectCoreCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
