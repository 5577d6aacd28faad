using System.CommandLine;
using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Report;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader debug ARCHIVE`: extracts the core into a private temporary folder and opens gdb on it
/// interactively (commands come from the terminal, or from stdin), in the same sandbox and with the same
/// auto-load and build-id rules as `run`; the folder is removed afterwards.</summary>
internal static class DebugCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var archive = new Argument<string>("archive") { Description = "Archive path, file name or report id" };
        var debugger = new Option<string?>("--debugger") { Description = "gdb (default: the configured gdb) or lldb, by name or path", HelpName = "cmd" };
        var cmd = new Command("debug", "Open gdb interactively on an archive's core" + DebugHelp.Examples) { archive, debugger };
        cmd.SetAction(pr =>
        {
            if (UploaderContext.Load(pr.GetValue(configOption)) is not { } ctx) return ExitCodes.Config;
            string tool = pr.GetValue(debugger) ?? ctx.Config.Gdb;
            // the configured `gdb` is gdb whatever its file is called; a --debugger is known by its name
            if ((pr.GetValue(debugger) is null ? Debuggers.Kind.Gdb : Debuggers.KindOf(tool)) is not { } kind) { Console.Error.WriteLine($"uploader: --debugger: {DebugHelp.Unknown(tool)}"); return ExitCodes.Usage; }
            if (ArchiveLookup.Find(ctx.Config.Corepath, pr.GetValue(archive)!, out var error) is not { } a)
            {
                Console.Error.WriteLine($"uploader: {error}");
                return ExitCodes.NoInput;
            }
            string dir = Directory.CreateTempSubdirectory("cdm-debug-").FullName;
            try
            {
                var x = CoreExtractor.Extract(a, dir, ctx.Config.KeepFreeBytes, CancellationToken.None);
                if (x.CoreFile is null) { Console.Error.WriteLine($"uploader: {a.Path} holds no core"); return ExitCodes.DataErr; }
                var sandbox = AnalysisSandbox.Create(ctx.Config);
                AnalysisSandbox.PrepareFolder(dir);
                sandbox.Grant(x.CoreFile);
                CoreInspector.InstallProgram(dir, ctx.Config.KeepFreeBytes);
                var core = CoreInspector.Core(sandbox, dir, Path.GetFileName(x.CoreFile), ctx.Config.GdbTimeoutSeconds).Core!;
                var exe = ExecutableFinder.Find(sandbox, core, x.Metadata, a.Daemon, ctx.Config.ExecutableSearchPath, dir, ctx.Config.KeepFreeBytes, ctx.Config.GdbTimeoutSeconds);
                if (exe.Copy is not null) sandbox.Grant(Path.Combine(dir, exe.Copy));
                Console.Error.WriteLine($"uploader: core of {a.FileName} in {dir}, executable {exe.Original ?? exe.Why}; gdb runs as {sandbox.Identity.Description} without network; quit gdb to clean up");
                return Debuggers.Interactive(sandbox, tool, kind, GdbRunner.ParseDetail(ctx.Config.ReportDetail), exe.Copy, Path.GetFileName(x.CoreFile), dir);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
            {
                Console.Error.WriteLine($"uploader: {e.Message}");
                return e is System.ComponentModel.Win32Exception || e.Message.StartsWith("cannot run gdb", StringComparison.Ordinal) ? ExitCodes.Unavailable : ExitCodes.IoErr;
            }
            finally { try { Directory.Delete(dir, true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } }
        });
        return cmd;
    }
}
