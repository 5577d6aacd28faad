using CoreDump.Native;
using CoreDump.Uploader.Commands;

namespace CoreDump.Uploader.Analysis;

/// <summary>Runs `inspect-core` (this very binary) in the analysis sandbox, so root never parses the core's ELF
/// structures or a candidate executable: root copies bytes into the private folder, the analysis uid parses them,
/// and root reads back one bounded JSON document and compares its strings. The binary is copied into the private
/// folder first: it may live anywhere (under /tmp, which the sandbox hides, or below a folder the analysis uid
/// cannot traverse), and a root-owned read-only copy there cannot be changed by the analysis uid.</summary>
internal static class CoreInspector
{
    public const string ProgramName = "cdm-inspect";
    /// <summary>The JSON holds the core's NT_FILE list, which a process with very many mappings makes long.</summary>
    private const int OutputMax = 64 << 20;

    /// <summary>Copies the running uploader into <paramref name="dir"/> as <see cref="ProgramName"/>: owned by
    /// root, mode 0505 (the analysis uid may read and run it, not change it; the folder's parent is 0700).</summary>
    public static void InstallProgram(string dir, long keepFreeBytes)
    {
        string self = Environment.ProcessPath ?? throw new IOException("cannot find the uploader's own binary to run the core inspection");
        string copy = Path.Combine(dir, ProgramName);
        if (File.Exists(copy)) return;
        using var input = File.OpenRead(self);
        if (input.Length > CoreExtractor.AvailableBytes(dir) - keepFreeBytes)
            throw new IOException($"no space in {dir} for the inspection program ({input.Length} bytes)");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using var output = new FileStream(copy, options);
        input.CopyTo(output);
        output.Flush(flushToDisk: false);
        try { Posix.Fchmod(output.SafeFileHandle, FileModes.Mode0505, copy); }
        catch (PosixException e) { throw new IOException($"cannot make {copy} executable: {Posix.Describe(e.Errno)}", e); }
    }

    /// <summary>The facts of <paramref name="core"/> (a file name in <paramref name="dir"/>, already granted).</summary>
    public static CoreInspection Core(AnalysisSandbox box, string dir, string core, int timeoutSeconds) =>
        Run(box, dir, core, [], timeoutSeconds);

    /// <summary>The build-ids of <paramref name="candidates"/> (file names in <paramref name="dir"/>, already granted).</summary>
    public static CoreInspection Candidates(AnalysisSandbox box, string dir, IReadOnlyList<string> candidates, int timeoutSeconds) =>
        Run(box, dir, null, candidates, timeoutSeconds);

    private static CoreInspection Run(AnalysisSandbox box, string dir, string? core, IReadOnlyList<string> candidates, int timeoutSeconds)
    {
        var args = new List<string> { InspectCoreCommand.Name };
        if (core is not null) args.AddRange(["--core", core]);
        args.AddRange(candidates);
        var r = box.RunBatch("./" + ProgramName, args, dir, timeoutSeconds, OutputMax);
        string what = core is null ? "the candidate executables" : "the core";
        if (r.TimedOut) throw new IOException($"parsing {what} (as {box.Identity.Description}) did not finish within {timeoutSeconds} s");
        if (r.OutputCut) throw new IOException($"parsing {what} (as {box.Identity.Description}) printed more than {OutputMax} bytes");
        if (r.ExitCode != 0) throw new IOException($"parsing {what} (as {box.Identity.Description}) failed with exit status {r.ExitCode}: {Tail(r.Stderr)}");
        var result = CoreInspection.Parse(r.Stdout, core is not null, candidates, out var problem)
            ?? throw new InvalidDataException($"parsing {what} (as {box.Identity.Description}): {problem}");
        if (result.Uid != box.Identity.Uid)
            throw new IOException($"parsing {what} ran as uid {result.Uid}, not as the analysis uid {box.Identity.Uid}: refused");
        return result;
    }

    private static string Tail(string s)
    {
        var lines = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(3);
        string t = string.Join(" / ", lines);
        return t.Length <= 300 ? t : t[..300] + "…";
    }
}
