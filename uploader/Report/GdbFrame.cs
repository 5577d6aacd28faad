namespace CoreDump.Uploader.Report;

/// <summary>One line of gdb's `bt`: "#3  0x00007f.. in func (args) at file.c:12" or "... from /lib/x.so".</summary>
internal sealed record GdbFrame(int Level, ulong? Address, string Function, string? Source, string? Library)
{
    public const string SignalHandlerCalled = "<signal handler called>";
    public bool HasSymbol => Function != "??" && Function.Length > 0;
    /// <summary>The mapped module the frame's address lies in, from the core's own structures (null if none).</summary>
    public FrameModule? Module { get; init; }
}

/// <summary>Where a frame's address lies: <see cref="Offset"/> bytes past the load address of the module
/// <see cref="Path"/>, whose GNU build-id (read from its ELF header in the core) is <see cref="BuildId"/>.</summary>
internal sealed record FrameModule(string Path, string? BuildId, ulong Offset)
{
    /// <summary>"name@buildid+0xoffset" ("name+0xoffset" without a build-id): the same for every run of the same
    /// build (ASLR moves only the load address), different for another build.</summary>
    public string Key => System.IO.Path.GetFileName(Path) + (BuildId is null ? "" : "@" + BuildId) + $"+0x{Offset:x}";
}

/// <summary>A line of `info proc mappings`: [Start, End) of Objfile at file Offset.</summary>
internal sealed record GdbMapping(ulong Start, ulong End, ulong Offset, string Objfile);
