using System.Buffers.Binary;
using System.Text;
using CoreDump.Native;
using static CoreDump.Native.Elf64;

namespace CoreDump.Uploader.Analysis;

/// <summary>Bounded readers for the ELF structures the analysis needs from untrusted files: program headers,
/// note segments and the GNU build-id. Every offset and size is checked before use; nothing is trusted.</summary>
internal static class ElfNotes
{
    public const uint PT_LOAD = Elf64.PT_LOAD, PT_NOTE = Elf64.PT_NOTE;
    /// <summary>The longest note segment read (NT_FILE of a process with many mappings stays far below).</summary>
    public const int MaxNoteBytes = 64 << 20;
    public const int MaxProgramHeaders = 65534;

    public readonly record struct ProgramHeader(uint Type, ulong Offset, ulong Vaddr, ulong FileSize, ulong MemSize);

    public readonly record struct Note(uint Type, string Name, int DescOffset, int DescLength);

    public static bool IsElf64Le(ReadOnlySpan<byte> p) =>
        p.Length >= Ehdr.Size && p.StartsWith(ELFMAG) && p[EI_CLASS] == ELFCLASS64 && p[EI_DATA] == ELFDATA2LSB;

    /// <summary>The program headers described by a 64-byte ELF header, read through <paramref name="read"/>
    /// (offset, buffer → bytes read). Null when the header is not ELF64 LE or the table is implausible.</summary>
    public static List<ProgramHeader>? ProgramHeaders(ReadOnlySpan<byte> header, Func<ulong, byte[], int> read, out string? problem)
    {
        problem = null;
        if (!IsElf64Le(header)) { problem = "not an ELF64 little-endian file"; return null; }
        ulong phoff = U64(header, Ehdr.e_phoff);
        int phentsize = U16(header, Ehdr.e_phentsize), phnum = U16(header, Ehdr.e_phnum);
        if (phnum == 0) return [];
        // a little slack above Elf64_Phdr's size, but never a table of gigabytes
        if (phentsize is < Phdr.Size or > 256 || phnum > MaxProgramHeaders || phoff > long.MaxValue / 2) { problem = "implausible program header table"; return null; }
        var table = new byte[phentsize * phnum];
        if (read(phoff, table) != table.Length) { problem = "program header table cut short"; return null; }
        var list = new List<ProgramHeader>(phnum);
        for (int i = 0; i < phnum; i++)
        {
            var ph = table.AsSpan(i * phentsize, phentsize);
            list.Add(new ProgramHeader(BinaryPrimitives.ReadUInt32LittleEndian(ph[Phdr.p_type..]), U64(ph, Phdr.p_offset), U64(ph, Phdr.p_vaddr), U64(ph, Phdr.p_filesz), U64(ph, Phdr.p_memsz)));
        }
        return list;
    }

    /// <summary>Walks a note segment; stops at the first record that does not fit.</summary>
    public static List<Note> Parse(ReadOnlySpan<byte> notes)
    {
        var list = new List<Note>();
        int pos = 0;
        while (pos + Nhdr.Size <= notes.Length)
        {
            uint namesz = BinaryPrimitives.ReadUInt32LittleEndian(notes[(pos + Nhdr.n_namesz)..]);
            uint descsz = BinaryPrimitives.ReadUInt32LittleEndian(notes[(pos + Nhdr.n_descsz)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(notes[(pos + Nhdr.n_type)..]);
            if (namesz > (uint)notes.Length || descsz > (uint)notes.Length) break;
            long descPos = (long)pos + Nhdr.Size + Align4(namesz);
            long next = descPos + Align4(descsz);
            if (next > notes.Length || descPos + descsz > notes.Length) break;
            var name = notes.Slice(pos + Nhdr.Size, (int)namesz);
            int nul = name.IndexOf((byte)0);
            list.Add(new Note(type, Encoding.ASCII.GetString(nul >= 0 ? name[..nul] : name), (int)descPos, (int)descsz));
            pos = (int)next;
        }
        return list;
    }

    /// <summary>The NT_GNU_BUILD_ID descriptor of a note segment, as lowercase hex; null if there is none.</summary>
    public static string? BuildId(ReadOnlySpan<byte> notes)
    {
        foreach (var n in Parse(notes))
            if (n.Type == NT_GNU_BUILD_ID && n.Name == "GNU" && n.DescLength is >= 4 and <= 64)
                return Convert.ToHexStringLower(notes.Slice(n.DescOffset, n.DescLength));
        return null;
    }

    /// <summary>The build-id of an ELF file (an executable or library), read from its PT_NOTE segments.</summary>
    public static string? FileBuildId(Stream file, out string? problem)
    {
        var header = new byte[Ehdr.Size];
        int got = ReadAt(file, 0, header);
        if (got < Ehdr.Size) { problem = "not an ELF file (too short)"; return null; }
        var phs = ProgramHeaders(header, (o, b) => ReadAt(file, o, b), out problem);
        if (phs is null) return null;
        foreach (var ph in phs.Where(p => p.Type == PT_NOTE))
        {
            if (ph.FileSize == 0 || ph.FileSize > 1 << 20 || ph.Offset > long.MaxValue / 2) continue;
            var notes = new byte[(int)ph.FileSize];
            int n = ReadAt(file, ph.Offset, notes);
            if (BuildId(notes.AsSpan(0, n)) is { } id) return id;
        }
        problem = "the file has no GNU build-id note";
        return null;
    }

    public static int ReadAt(Stream s, ulong offset, byte[] buffer)
    {
        if (offset > (ulong)s.Length) return 0;
        s.Position = (long)offset;
        int total = 0, r;
        while (total < buffer.Length && (r = s.Read(buffer, total, buffer.Length - total)) > 0) total += r;
        return total;
    }

    private static long Align4(uint n) => (n + 3L) & ~3L;
    public static ushort U16(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt16LittleEndian(p[o..]);
    public static ulong U64(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt64LittleEndian(p[o..]);
}
