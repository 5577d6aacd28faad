namespace CoreDump.Uploader.Report;

/// <summary>One line of gdb's `bt`: "#3  0x00007f.. in func (args) at file.c:12" or "... from /lib/x.so".</summary>
internal sealed record GdbFrame(int Level, ulong? Address, string Function, string? Source, string? Library)
{
    public const string SignalHandlerCalled = "<signal handler called>";
    public bool HasSymbol => Function != "??" && Function.Length > 0;
}

/// <summary>A line of `info proc mappings`: [Start, End) of Objfile at file Offset.</summary>
internal sealed record GdbMapping(ulong Start, ulong End, ulong Offset, string Objfile);
