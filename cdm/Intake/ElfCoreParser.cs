using System.Buffers.Binary;
using System.Text;
using static CoreDump.Native.Elf64;

namespace CoreDump.Cdm.Intake;

/// <summary>Pure parsing of an ELF64 little-endian core's prefix: the declared size from the headers and
/// the process facts from the PT_NOTE segment (NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV, NT_FILE).</summary>
internal static class ElfCoreParser
{
    public const int HeaderSize = Ehdr.Size;

    public readonly record struct Layout(long ProgramHeadersEnd, long NoteOffset, long NoteSize, long? ExpectedSize);

    public static bool IsElf64Le(ReadOnlySpan<byte> p) =>
        p.Length >= HeaderSize && p.StartsWith(ELFMAG) && p[EI_CLASS] == ELFCLASS64 && p[EI_DATA] == ELFDATA2LSB;

    public static bool IsCore(ReadOnlySpan<byte> p) => IsElf64Le(p) && U16(p, Ehdr.e_type) == ET_CORE;

    /// <summary>How many prefix bytes are needed before <see cref="ReadLayout"/> can answer.</summary>
    public static long ProgramHeadersEnd(ReadOnlySpan<byte> header)
    {
        ulong phoff = U64(header, Ehdr.e_phoff);
        ushort phentsize = U16(header, Ehdr.e_phentsize), phnum = U16(header, Ehdr.e_phnum);
        if (phnum == PN_XNUM || phentsize < Phdr.Size || phoff > int.MaxValue) return -1;
        return (long)phoff + (long)phentsize * phnum;
    }

    /// <summary>Reads the program headers; needs the prefix up to <see cref="ProgramHeadersEnd"/>.</summary>
    public static Layout? ReadLayout(ReadOnlySpan<byte> prefix)
    {
        if (!IsElf64Le(prefix)) return null;
        long phEnd = ProgramHeadersEnd(prefix);
        if (phEnd < 0 || phEnd > prefix.Length) return null;
        int phoff = (int)U64(prefix, Ehdr.e_phoff);
        int phentsize = U16(prefix, Ehdr.e_phentsize), phnum = U16(prefix, Ehdr.e_phnum);
        ulong end = (ulong)phEnd;
        long noteOff = 0, noteSize = 0;
        for (int i = 0; i < phnum; i++)
        {
            var ph = prefix.Slice(phoff + i * phentsize, phentsize);
            uint type = U32(ph, Phdr.p_type);
            ulong off = U64(ph, Phdr.p_offset), filesz = U64(ph, Phdr.p_filesz);
            if (off > long.MaxValue / 2 || filesz > long.MaxValue / 2) return new Layout(phEnd, 0, 0, null);
            if (type is PT_LOAD or PT_NOTE || filesz > 0) end = Math.Max(end, off + filesz);
            if (type == PT_NOTE && noteSize == 0) { noteOff = (long)off; noteSize = (long)filesz; }
        }
        ulong shoff = U64(prefix, Ehdr.e_shoff);
        ushort shentsize = U16(prefix, Ehdr.e_shentsize), shnum = U16(prefix, Ehdr.e_shnum);
        if (shoff != 0 && shnum > 0 && shoff < long.MaxValue / 2) end = Math.Max(end, shoff + (ulong)shentsize * shnum);
        return new Layout(phEnd, noteOff, noteSize, (long)end);
    }

    /// <summary>Parses the PT_NOTE segment's bytes into process facts.</summary>
    public static ElfCoreInfo ReadNotes(ReadOnlySpan<byte> notes, ElfCoreInfo info)
    {
        ulong entry = 0, phdr = 0;
        List<(ulong Start, ulong End, byte[] Path)> files = [];
        int threads = 0;
        int pos = 0;
        while (pos + Nhdr.Size <= notes.Length)
        {
            uint namesz = U32(notes, pos + Nhdr.n_namesz);
            uint descsz = U32(notes, pos + Nhdr.n_descsz);
            uint type = U32(notes, pos + Nhdr.n_type);
            long descPos = pos + Nhdr.Size + Align4(namesz);
            long next = descPos + Align4(descsz);
            if (namesz > int.MaxValue || descsz > int.MaxValue || next > notes.Length) break;
            var desc = notes.Slice((int)descPos, (int)descsz);
            switch (type)
            {
                case NT_PRSTATUS when desc.Length >= Prstatus.pr_pid + sizeof(int):
                    threads++;
                    if (threads == 1)
                        info = info with { Pid = info.Pid ?? I32(desc, Prstatus.pr_pid), Signal = info.Signal ?? NonZero(U16(desc, Prstatus.pr_cursig)) };
                    break;
                case NT_PRPSINFO when desc.Length >= Prpsinfo.Size:
                    var fname = desc.Slice(Prpsinfo.pr_fname, Prpsinfo.pr_fname_size);
                    info = info with
                    {
                        Uid = I32(desc, Prpsinfo.pr_uid), Gid = I32(desc, Prpsinfo.pr_gid), Pid = I32(desc, Prpsinfo.pr_pid),
                        ProcessName = CString(fname), ProcessNameBytes = CBytes(fname),
                        CommandLine = CString(desc.Slice(Prpsinfo.pr_psargs, Prpsinfo.pr_psargs_size)).TrimEnd(),
                    };
                    break;
                case NT_SIGINFO when desc.Length >= Siginfo.si_addr + sizeof(ulong):
                    info = info with { Signal = NonZero(I32(desc, Siginfo.si_signo)) ?? info.Signal, FaultAddress = U64(desc, Siginfo.si_addr) };
                    break;
                case NT_AUXV:
                    for (int i = 0; i + Auxv.Size <= desc.Length; i += Auxv.Size)
                    {
                        ulong key = U64(desc, i + Auxv.a_type), val = U64(desc, i + Auxv.a_val);
                        if (key == AT_ENTRY) entry = val;
                        else if (key == AT_PHDR) phdr = val;
                    }
                    break;
                case NT_FILE:
                    files = ReadFileNote(desc);
                    break;
            }
            pos = (int)next;
        }
        byte[]? exe = null;
        ulong probe = entry != 0 ? entry : phdr;
        foreach (var f in files)
            if (probe >= f.Start && probe < f.End) { exe = f.Path; break; }
        exe ??= files.Count > 0 ? files[0].Path : null;
        var mapped = files.Select(f => Encoding.UTF8.GetString(f.Path)).Distinct().ToList();
        return info with
        {
            ExecutablePath = exe is null ? null : Encoding.UTF8.GetString(exe), ExecutablePathBytes = exe,
            Threads = threads, MappedFiles = mapped,
        };
    }

    private static List<(ulong, ulong, byte[])> ReadFileNote(ReadOnlySpan<byte> desc)
    {
        var result = new List<(ulong, ulong, byte[])>();
        if (desc.Length < NtFile.Entries) return result;
        ulong count = U64(desc, NtFile.count);
        if (count > (ulong)desc.Length / NtFile.EntrySize) return result;
        int strings = NtFile.Entries + (int)count * NtFile.EntrySize;
        for (int i = 0; i < (int)count && strings < desc.Length; i++)
        {
            int entry = NtFile.Entries + i * NtFile.EntrySize;
            ulong start = U64(desc, entry + NtFile.start), end = U64(desc, entry + NtFile.end);
            int nul = desc[strings..].IndexOf((byte)0);
            if (nul < 0) nul = desc.Length - strings;
            result.Add((start, end, desc.Slice(strings, nul).ToArray()));
            strings += nul + 1;
        }
        return result;
    }

    private static long Align4(uint n) => (n + 3L) & ~3L;
    private static int? NonZero(int v) => v == 0 ? null : v;
    private static ushort U16(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt16LittleEndian(p[o..]);
    private static int I32(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadInt32LittleEndian(p[o..]);
    private static uint U32(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt32LittleEndian(p[o..]);
    private static ulong U64(ReadOnlySpan<byte> p, int o) => BinaryPrimitives.ReadUInt64LittleEndian(p[o..]);

    private static byte[] CBytes(ReadOnlySpan<byte> p)
    {
        int nul = p.IndexOf((byte)0);
        return (nul >= 0 ? p[..nul] : p).ToArray();
    }

    private static string CString(ReadOnlySpan<byte> p)
    {
        int nul = p.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? p[..nul] : p);
    }
}
