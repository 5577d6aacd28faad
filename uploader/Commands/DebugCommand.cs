using System.CommandLine;
using CoreDump.Uploader.Processing;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader debug ARCHIVE`: extracts the core into a private temporary folder and opens gdb on it
/// interactively (commands come from the terminal, or from stdin); the folder is removed afterwards.</summary>
public static class DebugCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var archive = new Argument<string>("archive") { Description = "Archive path, file name or report id" };
        var cmd = new Command("debug", "Open gdb interactively on an archive's core") { archive };
        cmd.SetAction(pr =>
        {
            if (UploaderContext.Load(pr.GetValue(configOption)) is not { } ctx) return ExitCodes.Config;
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
                var exe = ExecutableFinder.Find(x.Metadata, a.Daemon, ctx.Config.ExecutableSearchPath);
                Console.Error.WriteLine($"uploader: core of {a.FileName} in {dir}, executable {exe?.Path ?? "(not found)"}; quit gdb to clean up");
                return GdbRunner.Interactive(ctx.Config.Gdb, exe?.Path, x.CoreFile, dir);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.ComponentModel.Win32Exception)
            {
                Console.Error.WriteLine($"uploader: {e.Message}");
                return e is System.ComponentModel.Win32Exception ? ExitCodes.Unavailable : ExitCodes.IoErr;
            }
            finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
        });
        return cmd;
    }
}
