using System.CommandLine;
using CoreDump.Uploader.Analysis;
using CoreDump.Uploader.Markers;

namespace CoreDump.Uploader.Commands;

/// <summary>`uploader dump ARCHIVE [-o FILE] [--force]`: the core, exactly as cdm stored it, to a new file
/// (0600; an existing file is replaced only with --force, atomically, never through a symlink) or to stdout
/// (never a terminal). Only cdm's framing is read; the core's bytes are copied, never parsed.</summary>
internal static class DumpCommand
{
    private const string Help = """
        Write an archive's core to a file or to stdout

        Exit codes: 0 written; 64 stdout is a terminal; 65 the archive is damaged; 66 no such archive, or it holds
        no core (a drop record, or a core removed after delivery); 73 the output file exists (see --force) or cannot
        be created; 74 write error.
        Examples:
          cdm-uploader dump crasher.1.1764590400.core.tar.gz -o /tmp/crasher.core
          cdm-uploader dump 3f9c2a1b | gdb -batch -ex bt /usr/sbin/crasher /dev/stdin
        """;

    public static Command Create(Option<string?> configOption)
    {
        var archive = new Argument<string>("archive") { Description = "Archive path, file name or report id" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the core to this new file (mode 0600) instead of stdout", HelpName = "file" };
        var force = new Option<bool>("--force", "-f") { Description = "Replace the output file if it exists" };
        var cmd = new Command("dump", Help) { archive, output, force };
        cmd.SetAction((pr, ct) => Task.FromResult(Run(pr, configOption, archive, output, force, ct)));
        return cmd;
    }

    private static int Run(ParseResult pr, Option<string?> configOption, Argument<string> archive, Option<string?> output, Option<bool> force, CancellationToken ct)
    {
        var ctx = UploaderContext.Load(pr.GetValue(configOption));
        var a = ArchiveLookup.Get(ctx.Config.Corepath, pr.GetValue(archive)!);
        string? file = pr.GetValue(output);
        if (file is null && !Console.IsOutputRedirected)
        {
            Stderr.Say("refusing to write a core to a terminal: give -o FILE or redirect stdout");
            return ExitCodes.Usage;
        }
        try
        {
            if (NoCore(a) is { } why) { Stderr.Say($"{a.Path} holds no core: {why}"); return ExitCodes.NoInput; }
            if (file is null)
            {
                using var stdout = Console.OpenStandardOutput();
                var l = ArchiveMembers.CopyCore(a.Path, stdout, ct);
                Stderr.Say($"{l.CoreBytes} bytes of core ({l.CoreMember}) written to stdout");
                return ExitCodes.Ok;
            }
            return ToFile(a, Path.GetFullPath(file), pr.GetValue(force), ct);
        }
        catch (InvalidDataException e) { Stderr.Say($"{e.Message}"); return ExitCodes.DataErr; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Stderr.Say($"{e.Message}"); return ExitCodes.IoErr; }
    }

    /// <summary>Why an archive has no core to dump, or null when it has one (read up to the core's header only).</summary>
    private static string? NoCore(ArchiveRef a)
    {
        if (a.Name.Drop)
        {
            var m = ArchiveMembers.Read(a.Path).Metadata;
            return $"it is a drop record (cdm stored the crash without its core: {m.DropReason ?? "unknown reason"}{(m.DropDetail is { } d ? ": " + d : "")})";
        }
        return ArchiveMembers.HasCore(a.Path) ? null : "the core was removed after delivery (remove_core_after_delivery); metadata and report are kept";
    }

    private static int ToFile(ArchiveRef a, string target, bool force, CancellationToken ct)
    {
        if (!force && (File.Exists(target) || Directory.Exists(target) || new FileInfo(target).LinkTarget is not null))
        {
            Stderr.Say($"{target} exists; give --force to replace it");
            return ExitCodes.CantCreate;
        }
        // with --force the core goes to a new file beside the target, renamed over it when complete: the target is
        // replaced whole (a symlink there is replaced, not followed); without it O_EXCL refuses any existing name
        string dir = Path.GetDirectoryName(target)!;
        string writing = force ? Path.Combine(dir, $".{Path.GetFileName(target)}.{Environment.ProcessId}.dump") : target;
        FileStream stream;
        try
        {
            stream = new FileStream(writing, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Stderr.Say($"cannot create {writing}: {e.Message}");
            return ExitCodes.CantCreate;
        }
        bool done = false;
        try
        {
            ArchiveMembers.Listing l;
            using (stream)
            {
                l = ArchiveMembers.CopyCore(a.Path, stream, ct);
                stream.Flush(flushToDisk: true);
            }
            if (force) File.Move(writing, target, overwrite: true);
            done = true;
            Stderr.Say($"{l.CoreBytes} bytes of core ({l.CoreMember}) written to {target}");
            return ExitCodes.Ok;
        }
        finally
        {
            if (!done) try { File.Delete(writing); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
