using System.CommandLine;
using CoreDump.Native;
using CoreDump.Uploader.Analysis;
using Microsoft.Win32.SafeHandles;

namespace CoreDump.Uploader.Commands;

/// <summary>`cdm-uploader inspect-core [--core CORE] [FILE...]` (hidden): the uploader runs this copy of itself
/// inside the analysis sandbox, as the analysis uid, so the core's program headers and notes and each candidate
/// executable's ELF notes are never parsed by root. Prints one JSON document (<see cref="CoreInspection"/>) and
/// exits 0, also for malformed input (the JSON says why); only an unexpected failure exits non-zero.</summary>
internal static class InspectCoreCommand
{
    public const string Name = "inspect-core";

    public static Command Create()
    {
        var core = new Option<string?>("--core") { Description = "Core file to read the facts of", HelpName = "file" };
        var files = new Argument<string[]>("file") { Description = "Candidate executables to read the build-id of", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command(Name, "Parse a core and candidate executables (internal: runs in the analysis sandbox)") { core, files };
        cmd.Hidden = true;
        cmd.SetAction(pr =>
        {
            CoreFacts? facts = null;
            if (pr.GetValue(core) is { } corePath)
                using (var s = File.OpenRead(corePath)) facts = CoreFacts.Read(s);
            var result = new CoreInspection { Uid = Posix.Geteuid(), Core = facts, Candidates = (pr.GetValue(files) ?? []).Select(Candidate).ToList() };
            Console.Out.Write(result.ToJson());
            Console.Out.Flush();
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static CandidateBuildId Candidate(string path)
    {
        // the files are private copies; still, only a regular file is read, and never one that blocks
        SafeFileHandle handle;
        try { handle = Posix.OpenAt(SafeDirectoryHandle.CurrentDirectory, path, Posix.O_RDONLY | Posix.O_NONBLOCK | Posix.O_NOFOLLOW); }
        catch (PosixException e) { return new CandidateBuildId(path, null, "cannot open: " + Posix.Describe(e.Errno)); }
        using var file = new FileStream(handle, FileAccess.Read);
        try
        {
            if (!Posix.Fstat(handle, path).IsRegular) return new CandidateBuildId(path, null, "not a regular file");
            string? id = ElfNotes.FileBuildId(file, out var problem);
            return new CandidateBuildId(path, id, id is null ? problem ?? "no build-id" : null);
        }
        catch (IOException e) { return new CandidateBuildId(path, null, "unreadable: " + e.Message); }
    }
}
