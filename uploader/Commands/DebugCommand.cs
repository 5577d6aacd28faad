using System.CommandLine;
using CoreDump.Uploader.Analysis;

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
            var ctx = UploaderContext.Load(pr.GetValue(configOption));
            string tool = pr.GetValue(debugger) ?? ctx.Config.Gdb;
            // the configured `gdb` is gdb whatever its file is called; a --debugger is known by its name
            if ((pr.GetValue(debugger) is null ? Debuggers.Kind.Gdb : Debuggers.KindOf(tool)) is not { } kind)
                throw new UploaderError(ExitCodes.Usage, $"--debugger: {DebugHelp.Unknown(tool)}");
            var a = ArchiveLookup.Get(ctx.Config.Corepath, pr.GetValue(archive)!);
            if (kind == Debuggers.Kind.Gdb) tool = GdbProgram(tool);
            string dir = Directory.CreateTempSubdirectory("cdm-debug-").FullName;
            try
            {
                var x = CoreExtractor.Extract(a, dir, ctx.Config.KeepFreeBytes, CancellationToken.None);
                if (x.CoreFile is null) throw new UploaderError(ExitCodes.DataErr, $"{a.Path} holds no core");
                var sandbox = AnalysisSandbox.Create(ctx.Config);
                AnalysisSandbox.PrepareFolder(dir);
                sandbox.Grant(x.CoreFile);
                CoreInspector.InstallProgram(dir, ctx.Config.KeepFreeBytes);
                var core = CoreInspector.Core(sandbox, dir, Path.GetFileName(x.CoreFile), ctx.Config.GdbTimeoutSeconds).Core!;
                var exe = ExecutableFinder.Find(sandbox, core, x.Metadata, a.Daemon, ctx.Config.ExecutableSearchPath, dir, ctx.Config.KeepFreeBytes, ctx.Config.GdbTimeoutSeconds);
                if (exe.Copy is not null) sandbox.Grant(Path.Combine(dir, exe.Copy));
                Stderr.Say($"core of {a.FileName} in {dir}, executable {exe.Original ?? exe.Why}; {tool} runs as {sandbox.Identity.Description} without network; quit it to clean up");
                return Debuggers.Interactive(sandbox, tool, kind, GdbRunner.ParseDetail(ctx.Config.ReportDetail), exe.Copy, Path.GetFileName(x.CoreFile), dir);
            }
            catch (System.ComponentModel.Win32Exception e) { throw new UploaderError(ExitCodes.Unavailable, e.Message, e); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new UploaderError(ExitCodes.IoErr, e.Message, e);
            }
            finally { try { Directory.Delete(dir, true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } }
        });
        return cmd;
    }

    /// <summary>gdb as an absolute path, or exit 69 (EX_UNAVAILABLE) before anything is extracted.</summary>
    private static string GdbProgram(string configured)
    {
        try { return GdbRunner.ResolveProgram(configured); }
        catch (IOException e) { throw new UploaderError(ExitCodes.Unavailable, e.Message, e); }
    }
}
