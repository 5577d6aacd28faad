using System.Buffers.Binary;
using System.Text;

namespace CoreDump.Uploader.Analysis;

/// <summary>One NT_FILE entry: [Start, End) maps Path from byte Offset.</summary>
internal sealed record FileMapping(ulong Start, ulong End, ulong Offset, string Path);

/// <summary>An ELF module whose header the core holds: Path mapped from file offset 0 at Start (its load address).</summary>
internal sealed record ModuleId(string Path, ulong Start, string? BuildId);

/// <summary>What the analysis takes from the core's own structures rather than from gdb's text: the file
/// mappings (NT_FILE), the executable (the mapping holding AT_ENTRY), the executable's GNU build-id (read from
/// the first page of its mapping, which the kernel dumps by default: coredump_filter bit 4) and the signal.
/// Structures are read, never text, so no file name can forge an entry.</summary>
internal sealed record CoreFacts
{
    public IReadOnlyList<FileMapping> Files { get; init; } = [];
    public string? ExecutablePath { get; init; }
    public string? ExecutableBuildId { get; init; }
    /// <summary>Why the build-id could not be read (null when it was).</summary>
    public string? BuildIdProblem { get; init; }
    public int? Signal { get; init; }
    /// <summary>Every mapped ELF module whose first page the core holds, with its build-id (by start address).</summary>
    public IReadOnlyList<ModuleId> Modules { get; init; } = [];

    /// <summary>Most modules read (a process maps a few hundred at most in practice).</summary>
    public const int MaxModules = 512;

    private const uint NT_PRSTATUS = 1, NT_AUXV = 6, NT_SIGINFO = 0x53494749, NT_FILE = 0x46494c45;
    private const ulong AT_PHDR = 3, AT_ENTRY = 9;
    private const int MaxFileEntries = 1 << 20;

    /// <summary>Reads the facts from a core file. Never throws on malformed content: what cannot be read is
    /// left empty and <see cref="BuildIdProblem"/> says why.</summary>
    public static CoreFacts Read(Stream core)
    {
        var header = new byte[64];
        if (ElfNotes.ReadAt(core, 0, header) < 64 || !ElfNotes.IsElf64Le(header) || ElfNotes.U16(header, 16) != 4)
            return new CoreFacts { BuildIdProblem = "the core is not an ELF64 little-endian core file" };
        var phs = ElfNotes.ProgramHeaders(header, (o, b) => ElfNotes.ReadAt(core, o, b), out var problem);
        if (phs is null) return new CoreFacts { BuildIdProblem = "core: " + problem };
        ulong entry = 0, phdr = 0;
        int? signal = null, prstatusSignal = null;
        var files = new List<FileMapping>();
        foreach (var ph in phs.Where(p => p.Type == ElfNotes.PT_NOTE))
        {
            if (ph.FileSize == 0 || ph.FileSize > ElfNotes.MaxNoteBytes) continue;
            var notes = new byte[(int)ph.FileSize];
            int n = ElfNotes.ReadAt(core, ph.Offset, notes);
            var span = notes.AsSpan(0, n);
            foreach (var note in ElfNotes.Parse(span))
            {
                var desc = span.Slice(note.DescOffset, note.DescLength);
                switch (note.Type)
                {
                    case NT_PRSTATUS when desc.Length >= 14 && prstatusSignal is null:
                        prstatusSignal = NonZero(BinaryPrimitives.ReadUInt16LittleEndian(desc[12..]));
                        break;
                    case NT_SIGINFO when desc.Length >= 4 && signal is null:
                        signal = NonZero(BinaryPrimitives.ReadInt32LittleEndian(desc));
                        break;
                    case NT_AUXV:
                        for (int i = 0; i + 16 <= desc.Length; i += 16)
                        {
                            ulong key = ElfNotes.U64(desc, i), val = ElfNotes.U64(desc, i + 8);
                            if (key == AT_ENTRY) entry = val;
                            else if (key == AT_PHDR) phdr = val;
                        }
                        break;
                    case NT_FILE when files.Count == 0:
                        files = FileNote(desc);
                        break;
                }
            }
        }
        var facts = new CoreFacts { Files = files, Modules = ModulesOf(core, phs, files), Signal = signal is > 0 and < 128 ? signal : prstatusSignal is > 0 and < 128 ? prstatusSignal : null };
        ulong probe = entry != 0 ? entry : phdr;
        var exeMap = files.FirstOrDefault(f => probe >= f.Start && probe < f.End);
        if (probe == 0 || exeMap is null)
            return facts with { BuildIdProblem = "the core does not say which mapped file is the executable (no AT_ENTRY inside an NT_FILE mapping)" };
        facts = facts with { ExecutablePath = exeMap.Path };
        var first = files.FirstOrDefault(f => f.Path == exeMap.Path && f.Offset == 0);
        if (first is null) return facts with { BuildIdProblem = "the executable's first page is not among the core's mappings" };
        var id = BuildIdAt(core, phs, first.Start, out problem);
        return id is null ? facts with { BuildIdProblem = problem } : facts with { ExecutableBuildId = id };
    }

    /// <summary>The build-id of the ELF image whose header the process had mapped at <paramref name="baseAddress"/>.</summary>
    private static string? BuildIdAt(Stream core, List<ElfNotes.ProgramHeader> phs, ulong baseAddress, out string? problem)
    {
        byte[]? Memory(ulong address, int length)
        {
            foreach (var ph in phs)
            {
                if (ph.Type != ElfNotes.PT_LOAD || address < ph.Vaddr || address - ph.Vaddr >= ph.FileSize || ph.Offset > long.MaxValue / 2) continue;
                ulong within = address - ph.Vaddr;
                if (within + (ulong)length > ph.FileSize) return null;
                var buf = new byte[length];
                return ElfNotes.ReadAt(core, ph.Offset + within, buf) == length ? buf : null;
            }
            return null;
        }
        var header = Memory(baseAddress, 64);
        if (header is null) { problem = "the executable's ELF header was not dumped into the core"; return null; }
        var phdrs = ElfNotes.ProgramHeaders(header, (o, b) => Memory(baseAddress + o, b.Length) is { } m ? Copy(m, b) : 0, out problem);
        if (phdrs is null) { problem = "the executable's program headers in the core: " + problem; return null; }
        foreach (var ph in phdrs.Where(p => p.Type == ElfNotes.PT_NOTE))
        {
            if (ph.FileSize == 0 || ph.FileSize > 1 << 16 || ph.Offset > 1UL << 32) continue;
            // the note's address in the image: the mapping at file offset 0 holds the file's first bytes
            if (Memory(baseAddress + ph.Offset, (int)ph.FileSize) is { } notes && ElfNotes.BuildId(notes) is { } id) { problem = null; return id; }
        }
        problem = "the core holds no GNU build-id of the executable (built without one, or its note was not dumped)";
        return null;
    }

    /// <summary>Each NT_FILE mapping at file offset 0 whose ELF header is in the core (first <see cref="MaxModules"/>).</summary>
    private static List<ModuleId> ModulesOf(Stream core, List<ElfNotes.ProgramHeader> phs, List<FileMapping> files)
    {
        var modules = new List<ModuleId>();
        foreach (var f in files.Where(f => f.Offset == 0).DistinctBy(f => f.Start).OrderBy(f => f.Start))
        {
            if (modules.Count == MaxModules) break;
            string? id = BuildIdAt(core, phs, f.Start, out var problem);
            // a mapping whose first page was not dumped (not an ELF file, or coredump_filter) is no module
            if (id is null && problem is not null && !problem.StartsWith("the core holds no GNU build-id", StringComparison.Ordinal)) continue;
            modules.Add(new ModuleId(f.Path, f.Start, id));
        }
        return modules;
    }

    private static int Copy(byte[] from, byte[] to) { from.CopyTo(to, 0); return to.Length; }

    private static int? NonZero(int v) => v == 0 ? null : v;

    /// <summary>NT_FILE: count, page size, count × (start, end, page offset), then count NUL-ended paths.</summary>
    public static List<FileMapping> FileNote(ReadOnlySpan<byte> desc)
    {
        var result = new List<FileMapping>();
        if (desc.Length < 16) return result;
        ulong count = ElfNotes.U64(desc, 0), pageSize = ElfNotes.U64(desc, 8);
        if (count == 0 || count > MaxFileEntries || count > (ulong)(desc.Length - 16) / 24 || pageSize is 0 or > 1 << 30) return result;
        int strings = 16 + (int)count * 24;
        for (int i = 0; i < (int)count && strings < desc.Length; i++)
        {
            ulong start = ElfNotes.U64(desc, 16 + i * 24), end = ElfNotes.U64(desc, 16 + i * 24 + 8), page = ElfNotes.U64(desc, 16 + i * 24 + 16);
            int nul = desc[strings..].IndexOf((byte)0);
            if (nul < 0) nul = desc.Length - strings;
            if (end > start && page <= ulong.MaxValue / pageSize)
                result.Add(new FileMapping(start, end, page * pageSize, Encoding.UTF8.GetString(desc.Slice(strings, nul))));
            strings += nul + 1;
        }
        return result;
    }
}
